"""Part 3 of the rational-players experiment: acting on beliefs (the ring-network game).

Agents play ring games of ``games.ring_network`` (``ring_games``: by default two base games and
their transformed versions) in every position, in each belief mode: ``implicit`` (just
choose), ``explicit`` (state the belief about the next player's action, then act) and
``given`` (the prompt states the next player's iterated-dominance action). Three tables: the
share of decisions at the iterated-dominance action by position (position 4 has a dominant
action, position 1 needs four steps of reasoning); the orders of rationality R0-R4 classified
with Kneeland's exclusion restriction, with bootstrap CIs, beside her human cumulative shares
and scripted ``ring_r0`` .. ``ring_r4`` players; and, where the agent holds a stated or given
belief, its accuracy and whether the action best-responds to it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from experiments._common import column_estimate, fmt_share
from experiments.rational_players_desire import pct_est
from experiments.rational_players_scoring import acts_on_belief, belief_accuracy

if TYPE_CHECKING:
    from experiments.rational_players import Context

GAME = "ring_network"
MODES = ("implicit", "explicit", "given")
SCRIPTED_ORDERS = (0, 1, 2, 3, 4)


def decision_table(records: pl.DataFrame) -> dict[str, np.ndarray]:
    """Per decision (0-based actions): subject id, position (1-4), own action, iterated-
    dominance action, stated belief, given belief, the next player's iterated-dominance and
    actual actions, and the own payoff matrix ``(n, 3, 3)`` (own x next)."""
    from games.ring_network import GAME_LABELS, MATRICES, nash_profile

    r = records.sort(["instance", "agent", "round"])
    subject = (r["instance"].cast(pl.Utf8) + ":" + r["agent"].cast(pl.Utf8)).to_numpy()
    game = r["ring_game"].to_numpy().astype(np.int64)
    pos = r["position"].to_numpy().astype(np.int64)
    mats = np.stack([MATRICES[GAME_LABELS[g]][p - 1] for g, p in zip(game, pos, strict=True)])
    next_nash = np.array([nash_profile(MATRICES[GAME_LABELS[g]])[p % 4]
                          for g, p in zip(game, pos, strict=True)], dtype=np.float64)

    def col(name: str) -> np.ndarray:
        if name not in r.columns:
            return np.full(r.height, np.nan)
        return r[name].cast(pl.Float64).fill_null(np.nan).to_numpy() - 1.0

    return {"subject": subject, "position": pos, "action": col("action"), "nash": col("nash"),
            "belief": col("belief"), "given": col("given_belief"), "next_nash": next_nash,
            "next_action": col("next_action"), "payoff": mats}


def nash_by_position(d: dict[str, np.ndarray]) -> dict[int, np.ndarray]:
    """Per position, each subject's share of decisions at the iterated-dominance action."""
    hit = (d["action"] == d["nash"]).astype(np.float64)
    out = {}
    for p in range(1, 5):
        m = d["position"] == p
        subs = np.unique(d["subject"][m])
        out[p] = np.array([hit[m & (d["subject"] == s)].mean() for s in subs])
    return out


def run_ring(ctx: Context) -> None:
    """Play the ring games in the three belief modes; print the three tables."""
    import agora
    from agora.analysis.rationality_order import order_shares, orders_from_records
    from games.ring_network import POLICIES, RingConfig, analysis_params, kneeland_reference

    cfg, args, rng = ctx.cfg, ctx.args, ctx.rng
    ring = RingConfig(games=cfg.ring_games)
    params = analysis_params(ring)
    game = {"games": ring.games}
    runs: list[tuple[str, str, pl.DataFrame]] = []
    instances = math.ceil(cfg.ring_subjects / 4)
    for i, mode in enumerate(MODES):
        policy = ctx.agents.llm(name="llm", stand_in=POLICIES["ring_r2"](),
                                temperature=cfg.temperature, max_tokens=cfg.ring_max_tokens)
        res = agora.run(GAME, policy=policy, n_instances=instances, seed=args.seed + 200 + i,
                        out=args.out / "ring" / f"agents_{mode}", resume=args.resume,
                        progress=not args.quiet, beliefs=mode, **game)
        ctx.summary.record_run(f"ring: {mode} beliefs", res)
        ctx.summary.add_report(f"ring: {mode} beliefs", res, n_boot=cfg.n_boot)
        runs.append((f"agents: {ctx.agents.label()}", mode, res.records))
    ref_instances = math.ceil(cfg.reference_ring_subjects / 4)
    for k in SCRIPTED_ORDERS:
        res = agora.run(GAME, policy=POLICIES[f"ring_r{k}"](), n_instances=ref_instances,
                        seed=args.seed + 300 + k, out=args.out / "ring" / f"reference_r{k}",
                        resume=args.resume, progress=False, beliefs="explicit", **game)
        runs.append((f"scripted: ring_r{k}", "explicit", res.records))

    pos_t = ctx.summary.table(
        "Part 3, acting on beliefs: share of decisions at the iterated-dominance action by "
        "position [95% CI]",
        ["population", "beliefs", "subjects", "position 1 (needs R4)", "position 2 (R3)",
         "position 3 (R2)", "position 4 (R1: dominant action)"])
    ord_t = ctx.summary.table(
        "Part 3, orders of rationality (Kneeland's exclusion restriction), cumulative shares "
        "[95% CI]",
        ["population", "beliefs", "subjects", "R>=1", "R>=2", "R>=3", "R4",
         "classified R0/R1/R2/R3/R4", "tremble ε"])
    bel_t = ctx.summary.table(
        "Part 3, beliefs: accuracy of the stated (or given) belief and best response to it "
        "[95% CI]",
        ["population", "beliefs", "decisions", "belief = next player's iterated-dominance "
         "action", "belief = next player's actual action", "action best-responds to the belief"])
    for label, mode, records in runs:
        d = decision_table(records)
        by_pos = nash_by_position(d)
        n_subj = np.unique(d["subject"]).size
        pos_t.add(label, mode, n_subj, *[pct_est(column_estimate(
            by_pos[p], "nash", n_boot=cfg.n_boot, rng=rng)) for p in range(1, 5)])
        _, actions = orders_from_records(records, item_columns=params["item_columns"],
                                         items=params["items"])
        fit, est = order_shares(actions, params["predictions"], n_actions=params["n_actions"],
                                type_labels=params["type_labels"], n_boot=cfg.n_boot, rng=rng)
        counts = np.bincount(fit.classified, minlength=len(fit.type_labels))
        ord_t.add(label, mode, actions.shape[0],
                  *[pct_est(est[f"R>={k}"]) for k in range(1, 5)],
                  "/".join(str(int(c)) for c in counts),
                  f"{fit.epsilon:.2f}" + (" (cap)" if est["epsilon"].at_bound else ""))
        if mode != "implicit":
            _belief_row(bel_t, label, mode, d, cfg.n_boot, rng)
    ref = kneeland_reference()
    pos_t.add("theory: iterated dominance (R4)", "", "", *[fmt_share(1.0)] * 4)
    ord_t.add("theory: fully rational (R4)", "", "", *[fmt_share(1.0)] * 4, "", "")
    ord_t.add(f"humans: {ref['label']}", "none (lab)", "",
              *[fmt_share(v) for v in ref["cumulative"]], "", "")
    pos_t.notes += [
        "Position 4 has a strictly dominant action (R1 plays it); position 3's equilibrium "
        "action needs R2, position 2 R3 and position 1 R4. Each subject plays every position "
        f"of the games {', '.join(ring.games)} ({4 * len(ring.games)} decisions). CIs: "
        "percentile bootstrap over subjects.",
        "The matrices are agora's construction with Kneeland's structure, not hers "
        "(games/ring_network/PROVENANCE.md).",
    ]
    ord_t.notes += [
        "Orders: EM mixture of R0-R4 with uniform trembles "
        "(agora.analysis.rationality_order), each subject classified by its posterior mode; "
        "CIs: percentile bootstrap over subjects (refit).",
        f"Human row: {ref['source']}.",
        "Scripted R-type players play in the explicit mode, which does not change their "
        "actions.",
        "Tremble ε: the share of decisions that are uniformly random draws rather than the "
        "order's prediction, capped at 0.5 (agora.analysis.rationality_order.MAX_EPSILON: "
        "near 1 every order would predict uniform play and R0 could not be told apart); "
        "'(cap)' marks a fit whose play follows no order's predictions well.",
    ]
    bel_t.notes += [
        "Explicit: the agent states its belief about the next player's action, then acts. "
        "Given: the prompt states the next player's iterated-dominance action (accurate by "
        "construction). Best response: the action maximises the agent's payoff against the "
        "believed action. Fan et al. (2024): LLMs may overlook or modify a refined belief when "
        "acting, and do better when beliefs are given.",
        "Scripted R1 states a uniformly random belief and R0 plays at random. CIs: percentile "
        "bootstrap over subjects (each subject's share over its decisions).",
    ]


def _per_subject(x: np.ndarray, subject: np.ndarray) -> np.ndarray:
    """Each subject's mean of ``x`` over its decisions with a value."""
    ok = np.isfinite(x)
    return np.array([x[ok & (subject == s)].mean() for s in np.unique(subject[ok])])


def _belief_row(t: object, label: str, mode: str, d: dict[str, np.ndarray], n_boot: int,
                rng: np.random.Generator) -> None:
    belief = d["given"] if mode == "given" else d["belief"]
    accurate = belief_accuracy(belief, d["next_nash"])
    actual = belief_accuracy(belief, d["next_action"])
    acts = acts_on_belief(d["payoff"], belief, d["action"])
    cells = [pct_est(column_estimate(_per_subject(x, d["subject"]), "share", n_boot=n_boot,
                                     rng=rng)) for x in (accurate, actual, acts)]
    if mode == "given":
        cells[0] = "given (100%)"
    t.add(label, mode, int(np.isfinite(belief).sum()), *cells)  # type: ignore[attr-defined]
