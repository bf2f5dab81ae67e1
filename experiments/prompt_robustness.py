"""Prompt robustness: the same games under paraphrased rules, reordered text and options, framing.

The same census personas play each variant of three games; only the words change, never the
game. Variants are registered as games of their own (a kernel subclass whose ``prompts`` differ,
or whose answer options come in another order), so records, manifests and reports say which
wording was used. The table reports each fitted parameter per variant with its bootstrap
interval, its shift from the original wording and whether the shifted point leaves the
original's interval:

* p-beauty (p = 2/3): first-round mean guess and Poisson-CH τ;
* dictator: mean share given and the Fehr-Schmidt share with β ≥ 1/2;
* ultimatum: mean offer, rejection rate and the responders' Fehr-Schmidt α.

    python -m experiments.prompt_robustness --n 4      # 4 p-beauty groups of 10 per variant
    python -m experiments.prompt_robustness --smoke
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from agora.analysis.estimate import Estimate
from agora.engine.prompting import number
from experiments._common import (
    Agents,
    ExperimentArgs,
    PersonaPool,
    Summary,
    column_estimate,
    experiment_main,
    finals,
    fmt,
    fmt_est,
)
from games.bargaining.prompts import BargainingPrompts
from games.dictator.prompts import DictatorPrompts
from games.p_beauty.prompts import PBeautyPrompts

NAME = "prompt_robustness"
ORIGINAL = "original"


@dataclass(frozen=True, kw_only=True)
class RobustnessConfig:
    """Settings of the robustness experiment.

    Attributes:
        groups: p-beauty groups per variant (``--n``; dictators and ultimatum pairs scale with
            it: ``group_size × groups`` each).
        group_size: Players per p-beauty group.
        p: p-beauty target multiplier.
        endowment: Dictator endowment.
        pie: Ultimatum pie.
        temperature: LLM sampling temperature.
        max_tokens: Answer budget.
        n_boot: Bootstrap replicates.
    """

    groups: int = 4
    group_size: int = 10
    p: float = 2 / 3
    endowment: float = 10.0
    pie: float = 100.0
    temperature: float = 0.7
    max_tokens: int = 16
    n_boot: int = 200

    def __post_init__(self) -> None:
        if not isinstance(self.groups, int) or self.groups < 1:
            raise ValueError(f"groups must be an integer >= 1, got {self.groups!r}")
        if not isinstance(self.group_size, int) or self.group_size < 2:
            raise ValueError(f"group_size must be an integer >= 2, got {self.group_size!r}")
        if not (self.p > 0 and self.p != 1):
            raise ValueError(f"p must be > 0 and != 1, got {self.p}")
        if not (self.endowment > 0 and self.pie > 0):
            raise ValueError("endowment and pie must be > 0")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.n_boot < 0:
            raise ValueError(f"n_boot must be >= 0, got {self.n_boot}")

    @property
    def pairs(self) -> int:
        """Dictator games and ultimatum pairs per variant."""
        return self.groups * self.group_size


SMOKE = RobustnessConfig(groups=1, group_size=3, n_boot=20)


# --------------------------------------------------------------------- prompt variants
def _pbeauty_pay(config: Any) -> str:
    if config.payoff == "winner_takes_prize":
        return (f"whoever is nearest to the target wins {number(config.prize)} points (ties "
                "share it)")
    return (f"everyone earns {number(config.prize)} points minus a penalty growing with their "
            "distance from the target")


class PBeautyParaphrased(PBeautyPrompts):
    """The guessing game's rules in other words."""

    def rules(self, config: Any, role: str) -> str:
        kind = "a whole number" if config.integer else "a number"
        rounds = ("a single round" if config.rounds == 1 else
                  f"{config.rounds} rounds, each followed by the average, the target and your "
                  "payoff")
        return (f"There are {config.n_players} participants and {rounds}. Everybody picks "
                f"{kind} from {number(config.lower)} up to {number(config.upper)}. Take the "
                f"mean of all picks and multiply it by {number(config.p, 4)}: that is the "
                f"target, and {_pbeauty_pay(config)}.")


class PBeautyReordered(PBeautyPrompts):
    """The same sentences as the original, payoff and target first."""

    def rules(self, config: Any, role: str) -> str:
        kind = "a whole number" if config.integer else "a number"
        pay = _pbeauty_pay(config)
        rounds = ("one round" if config.rounds == 1 else f"{config.rounds} rounds; after "
                  "each round everyone learns the average, the target and their own payoff")
        return (f"Payoff: {pay[0].upper()}{pay[1:]}. The target is {number(config.p, 4)} times "
                f"the average of all guesses. Each player chooses {kind} between "
                f"{number(config.lower)} and {number(config.upper)}. You are playing this "
                f"guessing game with {config.n_players} players, {rounds}.")


class PBeautyFramed(PBeautyPrompts):
    """Keynes's newspaper framing of the same contest."""

    def rules(self, config: Any, role: str) -> str:
        return ("A newspaper runs a reader contest. " + super().rules(config, role)
                .replace("You are playing a guessing game with", "You are one of")
                .replace("players,", "readers taking part,"))


class DictatorParaphrased(DictatorPrompts):
    """The dictator game's rules in other words."""

    def rules(self, config: Any, role: str) -> str:
        u = config.unit
        text = f"You have received {u}{number(config.endowment)}. A stranger you will never meet"
        text += (f" holds {u}{number(config.recipient_endowment)}."
                 if config.recipient_endowment > 0 else " holds nothing.")
        text += (f" The decider alone settles how much of the {u}{number(config.endowment)} "
                 "goes to the stranger, who cannot refuse or reply.")
        if config.min_transfer < 0:
            text += f" Taking up to {u}{number(config.take_bound)} from the stranger is allowed."
        return text + " Both keep whatever they have at the end."


class DictatorFramed(DictatorPrompts):
    """Social-distance framing: the recipient lives in your community."""

    def rules(self, config: Any, role: str) -> str:
        return super().rules(config, role).replace(
            "another person you will never meet", "a person from your own community whose name "
            "you will not learn")


class UltimatumParaphrased(BargainingPrompts):
    """The ultimatum rules in other words (bargaining rules unchanged)."""

    def rules(self, config: Any, role: str) -> str:
        if config.horizon != 1:
            return super().rules(config, role)
        u, m = config.unit, number(config.pie)
        text = (f"There is {u}{m} to divide between two people. One of them names how much the "
                "other receives; the other either takes it, leaving the rest to the first, or "
                "turns it down, in which case nobody receives anything.")
        base = super().rules(config, role)
        tail = base.split("both get nothing.", 1)[1] if "both get nothing." in base else ""
        return text + tail


def _reorder_choices(kernel: Any) -> None:
    """Reverse the order of every choice list the kernel offers (schema and prompt)."""
    kernel._specs = tuple(dataclasses.replace(s, choices=tuple(reversed(s.choices)))
                          if hasattr(s, "choices") else s for s in kernel._specs)


@dataclass(frozen=True, kw_only=True)
class Variant:
    """A wording of a game: other prompts and/or a hook applied to each new kernel."""

    name: str
    prompts: Any = None
    on_init: Callable[[Any], None] | None = None


VARIANTS: dict[str, tuple[Variant, ...]] = {
    "p_beauty": (Variant(name="paraphrased", prompts=PBeautyParaphrased()),
                 Variant(name="reordered", prompts=PBeautyReordered()),
                 Variant(name="framed", prompts=PBeautyFramed())),
    "dictator": (Variant(name="paraphrased", prompts=DictatorParaphrased()),
                 Variant(name="framed", prompts=DictatorFramed())),
    "ultimatum": (Variant(name="options_reordered", on_init=_reorder_choices),
                  Variant(name="paraphrased", prompts=UltimatumParaphrased())),
}
"""The wordings tried for each game besides the original."""


def variant_game(game: str, variant: Variant) -> str:
    """Register (once) and return the name of ``game`` told with ``variant``."""
    from agora.engine.registry import REGISTRY, register

    name = f"{game}__{variant.name}"
    if name in REGISTRY.names():
        return name
    base = REGISTRY.get(game).kernel_cls
    attrs: dict[str, Any] = {"name": name, "__module__": base.__module__,
                             "__doc__": f"{game} told with {variant.name} prompts."}
    if variant.prompts is not None:
        attrs["prompts"] = variant.prompts
    if variant.on_init is not None:
        hook = variant.on_init

        def __init__(self: Any, config: Any, n_instances: int,  # noqa: N807
                     rng: np.random.Generator) -> None:
            base.__init__(self, config, n_instances, rng)
            hook(self)

        attrs["__init__"] = __init__
    register(type(f"{base.__name__}_{variant.name}", (base,), attrs),
             description=f"{game} with {variant.name.replace('_', ' ')} prompts "
                         "(experiments.prompt_robustness)")
    return name


# --------------------------------------------------------------------- fitted parameters
def pbeauty_parameters(records: pl.DataFrame, cfg: RobustnessConfig, rng: np.random.Generator
                       ) -> dict[str, Estimate]:
    """First-round mean guess and CH τ."""
    from agora.analysis.rationality import fit_cognitive_hierarchy

    g = records.filter(pl.col("round") == 0)["action"].to_numpy().astype(np.float64)
    out = {"mean guess": column_estimate(g, "mean", n_boot=cfg.n_boot, rng=rng)}
    try:
        out["CH τ"] = fit_cognitive_hierarchy(g, p=cfg.p, n_boot=cfg.n_boot, rng=rng)
    except ValueError:
        out["CH τ"] = _nan("tau")
    return out


def dictator_parameters(records: pl.DataFrame, cfg: RobustnessConfig, rng: np.random.Generator
                        ) -> dict[str, Estimate]:
    """Mean share given and the Fehr-Schmidt β ≥ 1/2 share."""
    from agora.analysis.rationality import fehr_schmidt_beta_share

    x = records["action"].to_numpy().astype(np.float64)
    return {"mean share given": column_estimate(x / cfg.endowment, "share", n_boot=cfg.n_boot,
                                                rng=rng),
            "FS β ≥ 1/2 share": fehr_schmidt_beta_share(x, endowment=cfg.endowment,
                                                         n_boot=cfg.n_boot, rng=rng)}


def ultimatum_parameters(records: pl.DataFrame, cfg: RobustnessConfig,
                         rng: np.random.Generator) -> dict[str, Estimate]:
    """Mean offer, rejection rate and responder α."""
    from agora.analysis.rationality import fit_fehr_schmidt_responder

    end = finals(records)
    accepted = end["agreed"].to_numpy().astype(np.float64)
    shares = end["offer"].to_numpy() / cfg.pie
    out = {"mean offer share": column_estimate(shares, "offer", n_boot=cfg.n_boot, rng=rng),
           "rejection rate": column_estimate(1 - accepted, "rejection", n_boot=cfg.n_boot,
                                             rng=rng)}
    try:
        out["responder FS α"] = fit_fehr_schmidt_responder(shares, accepted, n_boot=cfg.n_boot,
                                                           rng=rng)
    except ValueError:
        out["responder FS α"] = _nan("alpha")
    return out


def benchmarks(cfg: RobustnessConfig) -> dict[tuple[str, str], str]:
    """Human (packaged baselines) and theory values of each fitted parameter."""
    from agora.analysis import baselines as bl
    from agora.analysis.equilibria import benchmark
    from agora.analysis.rationality import ch_tau_for_mean
    from experiments._common import short_citation
    from games.bargaining import theory as bt
    from games.bargaining.config import UltimatumConfig

    nagel = bl.load_baseline(bl.default_baseline("p_beauty", {"p": cfg.p}) or "")
    engel = bl.load_baseline("engel2011_dictator")
    oost = bl.load_baseline("oosterbeek2004_ultimatum")
    eq = benchmark("p_beauty", {"p": cfg.p}).equilibrium_action
    spe_offer = 1.0 - bt.spe_share_a(UltimatumConfig(pie=cfg.pie), True)
    tau = ch_tau_for_mean(nagel.mean, p=nagel.params["p"])
    return {
        ("p_beauty", "mean guess"): f"{fmt(nagel.mean)} ({short_citation(nagel.citation)}, "
                                    f"p = {nagel.params['p']:.3g}); Nash {fmt(eq)}",
        ("p_beauty", "CH τ"): f"{fmt(tau)} (matches {short_citation(nagel.citation)}'s mean)",
        ("dictator", "mean share given"): f"{fmt(engel.mean)} ({short_citation(engel.citation)})"
                                          "; selfish 0",
        ("dictator", "FS β ≥ 1/2 share"): "selfish 0",
        ("ultimatum", "mean offer share"): f"{fmt(oost.mean)} ({short_citation(oost.citation)});"
                                           f" SPE {fmt(spe_offer)}",
        ("ultimatum", "rejection rate"): f"{fmt(oost.extra['rejection_rate'])} "
                                         f"({short_citation(oost.citation)}); SPE 0",
        ("ultimatum", "responder FS α"): "selfish 0",
    }


def _nan(name: str) -> Estimate:
    return Estimate(value=math.nan, ci_low=math.nan, ci_high=math.nan, n=0, name=name)


def config_for(args: ExperimentArgs) -> RobustnessConfig:
    """The config the flags select."""
    cfg = SMOKE if args.smoke else RobustnessConfig()
    return replace(cfg, groups=args.n) if args.n is not None else cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="p-beauty groups of 10 per variant (default 4); dictators "
                                 "and ultimatum pairs: 10n per variant")


def run(args: ExperimentArgs, cfg: RobustnessConfig | None = None) -> int:
    """Play every variant with the same personas and tabulate how the parameters move."""
    import agora

    cfg = cfg or config_for(args)
    agents = Agents(args)
    summary = Summary(name=NAME, args=args)
    rng = np.random.default_rng(args.seed)
    pool = PersonaPool.adults(cfg.pairs * 2 * 2 + cfg.pairs, seed=args.seed)
    plans: list[tuple[str, dict[str, Any], Any, Callable[..., dict[str, Estimate]]]] = [
        ("p_beauty", {"n_players": cfg.group_size, "p": cfg.p, "rounds": 1},
         pool.seat(cfg.groups, cfg.group_size), pbeauty_parameters),
        ("dictator", {"endowment": cfg.endowment}, pool.seat(cfg.pairs, 2),
         dictator_parameters),
        ("ultimatum", {"pie": cfg.pie}, pool.seat(cfg.pairs, 2), ultimatum_parameters),
    ]
    table = summary.table("Fitted parameters under each wording (same personas, same seeds)",
                          ["game", "parameter", "variant", "n", "estimate [95% CI]",
                           "shift from original", "outside original CI?",
                           "human / theory benchmark"])
    marks = benchmarks(cfg)
    moves: list[float] = []
    try:
        policy = agents.llm(temperature=cfg.temperature, max_tokens=cfg.max_tokens)
        for game, config, personas, fit in plans:
            variants = [(ORIGINAL, game)] + [(v.name, variant_game(game, v))
                                             for v in VARIANTS[game]]
            fitted: dict[str, dict[str, Estimate]] = {}
            for vname, gname in variants:
                res = agora.run(gname, policy=policy, n_instances=personas.ids.shape[0],
                                seed=args.seed, out=args.out / game / vname,
                                resume=args.resume, progress=not args.quiet,
                                personas=personas, **config)
                label = f"{game} / {vname}"
                summary.record_run(label, res)
                summary.add_report(label, res, n_boot=cfg.n_boot)
                fitted[vname] = fit(res.records, cfg, rng)
            for param in fitted[ORIGINAL]:
                base = fitted[ORIGINAL][param]
                for vname, est in fitted.items():
                    e = est[param]
                    shift = e.value - base.value if vname != ORIGINAL else math.nan
                    outside = ("" if vname == ORIGINAL or not math.isfinite(base.ci_low)
                               else "yes" if not base.contains(e.value) else "no")
                    if vname != ORIGINAL and math.isfinite(shift):
                        width = base.ci_high - base.ci_low
                        if math.isfinite(width) and width > 0:
                            moves.append(abs(shift) / width)
                    table.add(game, param, vname, e.n, fmt_est(e),
                              "" if vname == ORIGINAL else fmt(shift), outside,
                              marks.get((game, param), "") if vname == ORIGINAL else "")
    finally:
        agents.close()
    table.notes += [
        "Variants change only the words (or the order of the answer options); the game, "
        "personas and seeds are the same, so shifts measure sensitivity to wording.",
        f"Largest shift relative to the original 95% interval width: "
        f"{fmt(max(moves)) if moves else 'n/a'} (values above 0.5 move the point past the "
        "interval's edge from its centre).",
    ]
    summary.notes.append(agents.caveat(temperature=cfg.temperature))
    summary.write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
