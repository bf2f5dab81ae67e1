"""Theory of the prisoner's dilemma.

Actions are numbers: 1 = cooperate (C), 0 = defect (D). Defection strictly dominates in the
stage game, so (D, D) is the unique Nash equilibrium of the one-shot game and of every finitely
repeated game (backward induction); level-k (k >= 1) and cognitive-hierarchy steps defect;
level 0 cooperates with probability 1/2. In the indefinitely repeated game with continuation
probability δ, mutual cooperation (both playing Grim) is subgame perfect iff
δ >= (T - R)/(T - P). SizeBAD (Dal Bó & Fréchette 2011, 2018) is the size of the basin of
attraction of AllD against Grim: the belief that the other plays Grim at which a player is
indifferent between Grim and AllD,

    SizeBAD = (1 - δ)(P - S) / [(R - T + P - S) + δ (T + S - 2P)],

set to 1 when cooperation is not subgame perfect (values from V(G,G) = R/(1-δ),
V(G,D) = S + δP/(1-δ), V(D,G) = T + δP/(1-δ), V(D,D) = P/(1-δ)). Mengel's (2018) payoff
indices of the one-shot game: RISK = (P - S)/P, TEMPT = (T - R)/T, EFF = (R - P)/R.
"""

from __future__ import annotations

import numpy as np

from games.prisoners_dilemma.config import PDConfig, check_payoffs

COOPERATE, DEFECT = 1, 0


def stage_payoffs(temptation: float, reward: float, punishment: float, sucker: float,
                  own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Own stage payoff of moves ``own`` against ``other`` (1 = C, 0 = D; broadcast)."""
    a = np.asarray(own, dtype=np.float64)
    b = np.asarray(other, dtype=np.float64)
    return (a * b * reward + a * (1 - b) * sucker + (1 - a) * b * temptation
            + (1 - a) * (1 - b) * punishment)


def payoffs(config: PDConfig, own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Own stage payoff of ``own`` against ``other`` under ``config``'s matrix."""
    return stage_payoffs(*config.matrix, own, other)


def equilibrium_action(config: PDConfig) -> float:
    """Defect (0): the dominant action of the stage game."""
    return float(DEFECT)


def level_k_action(config: PDConfig, k: int) -> float:
    """A level-k player (k >= 1) best-responds to anything by defecting."""
    if k < 1:
        raise ValueError(f"level-k actions are defined for k >= 1 (level 0 is random), got {k}")
    return float(DEFECT)


def ch_actions(config: PDConfig, tau: float, k_max: int) -> np.ndarray:
    """Cognitive-hierarchy steps 0..k_max: level 0 cooperates half the time, the rest defect."""
    if tau <= 0:
        raise ValueError(f"cognitive hierarchy tau must be > 0, got {tau}")
    out = np.zeros(k_max + 1)
    out[0] = 0.5
    return out


def action_utilities(config: PDConfig, grid: np.ndarray,
                     belief_mean: float | None = None) -> np.ndarray:
    """Expected stage payoff of cooperating with probability ``grid`` when the other
    cooperates with probability ``belief_mean`` (default 1/2, level 0)."""
    b = 0.5 if belief_mean is None else float(belief_mean)
    g = np.asarray(grid, dtype=np.float64)
    t, r, p, s = config.matrix
    return g * (b * r + (1 - b) * s) + (1 - g) * (b * t + (1 - b) * p)


def cooperation_threshold(temptation: float, reward: float, punishment: float) -> float:
    """δ* = (T - R)/(T - P): cooperation is subgame perfect iff δ >= δ*."""
    return (temptation - reward) / (temptation - punishment)


def cooperation_is_spe(temptation: float, reward: float, punishment: float,
                       delta: float) -> bool:
    """Whether mutual Grim is a subgame-perfect equilibrium at continuation probability δ."""
    return delta >= cooperation_threshold(temptation, reward, punishment)


def size_bad(temptation: float, reward: float, punishment: float, sucker: float,
             delta: float) -> float:
    """Size of the basin of attraction of AllD against Grim (1 when cooperation is not SPE)."""
    check_payoffs(temptation, reward, punishment, sucker)
    if not 0 <= delta < 1:
        raise ValueError(f"size_bad: delta must be in [0, 1), got {delta}")
    if not cooperation_is_spe(temptation, reward, punishment, delta):
        return 1.0
    t, r, p, s = temptation, reward, punishment, sucker
    return (1 - delta) * (p - s) / ((r - t + p - s) + delta * (t + s - 2 * p))


def mengel_indices(temptation: float, reward: float, punishment: float,
                   sucker: float) -> dict[str, float]:
    """Mengel's (2018) indices RISK = (P-S)/P, TEMPT = (T-R)/T, EFF = (R-P)/R (needs P > 0)."""
    if not punishment > 0:
        raise ValueError(f"mengel_indices: the indices divide by P, which must be > 0, got "
                         f"{punishment:g}")
    return {"risk": (punishment - sucker) / punishment,
            "tempt": (temptation - reward) / temptation,
            "eff": (reward - punishment) / reward}


def benchmark_notes(config: PDConfig) -> str:
    """One line: the dominant action and, when repeated indefinitely, δ* and SizeBAD."""
    text = "1 = cooperate, 0 = defect; defection is dominant in the stage game"
    if config.delta is not None:
        t, r, p, s = config.matrix
        star = cooperation_threshold(t, r, p)
        spe = "cooperation is subgame perfect" if config.delta >= star else "only (D, D) is SPE"
        text += (f"; δ = {config.delta:g}, δ* = (T-R)/(T-P) = {star:.3g}: {spe}; "
                 f"SizeBAD = {size_bad(t, r, p, s, config.delta):.3g}")
    elif config.rounds > 1:
        text += f"; (D, D) in every round of the {config.rounds}-round game (backward induction)"
    return text
