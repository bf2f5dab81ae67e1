"""Part 1 of the rational-players experiment: building a clear desire (dictator game).

Each dictator is told one preference (:data:`~experiments.rational_players_scoring.PREFERENCES`)
in the LLM policy's ``system_prefix`` (the sentence precedes the game rules; the game and the
engine are unchanged) and decides once. The table gives, per preference, the share of
allocations consistent with it (the transfer maximises the stated utility) with a bootstrap CI,
beside the transfer the preference implies (theory), scripted dictators (each always gives one
fixed amount) and, as a revealed-preference reference, the share of human dictators in Engel's
(2011) meta-analysis whose gift matches the preference's share (humans are not told a
preference).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from agora.analysis.estimate import Estimate
from experiments._common import column_estimate, fmt, fmt_est, fmt_share
from experiments.rational_players_scoring import (
    PREFERENCES,
    consistent_with,
    implied_transfers,
)

if TYPE_CHECKING:
    from experiments.rational_players import Context


def run_desire(ctx: Context) -> None:
    """Play the dictator game once per stated preference and print the accuracy table."""
    import agora
    from agora.analysis import baselines as bl
    from agora.policies import FixedPolicy, RandomPolicy

    cfg, args, rng = ctx.cfg, ctx.args, ctx.rng
    game = {"endowment": cfg.endowment}
    prefs = list(PREFERENCES.values())
    implied = {p.name: implied_transfers(p, cfg.endowment) for p in prefs}
    header = ["population", *[f"{p.name}{'' if p.common else ' (uncommon)'}" for p in prefs]]
    t = ctx.summary.table(
        f"Part 1, desire: dictator allocations consistent with the stated preference "
        f"(endowment {fmt(cfg.endowment)}), share [95% CI]", header)
    mean_t = ctx.summary.table("Part 1, desire: mean transfer by stated preference",
                               ["population", "preference", "n", "mean transfer [95% CI]",
                                "theory: implied transfer"])
    cells: list[str] = []
    for i, p in enumerate(prefs):
        policy = ctx.agents.llm(name=f"llm_{_slug(p.name)}", stand_in=RandomPolicy(),
                                system_prefix=p.text, temperature=cfg.temperature,
                                max_tokens=cfg.max_tokens)
        res = agora.run("dictator", policy=policy, n_instances=cfg.dictators,
                        seed=args.seed + i, out=args.out / "desire" / _slug(p.name),
                        resume=args.resume, progress=not args.quiet, **game)
        label = f"desire: {p.name}"
        ctx.summary.record_run(label, res)
        ctx.summary.add_report(label, res, n_boot=cfg.n_boot)
        x = res.records["action"].to_numpy().astype(np.float64)
        ok = consistent_with(p, x, endowment=cfg.endowment)
        cells.append(pct_est(column_estimate(ok, "consistent", n_boot=cfg.n_boot, rng=rng)))
        mean_t.add(f"agents: {ctx.agents.label()}", p.name, x.size,
                   fmt_est(column_estimate(x, "transfer", n_boot=cfg.n_boot, rng=rng)),
                   _implied_text(implied[p.name]))
    t.add(f"agents: {ctx.agents.label()}", *cells)
    t.add("theory: a dictator who acts on the stated preference",
          *[fmt_share(1.0) for _ in prefs])
    for j, (value, name) in enumerate(_scripted_references(cfg.endowment)):
        ref = agora.run("dictator", policy=FixedPolicy(value),
                        n_instances=cfg.reference_dictators, seed=args.seed + 50 + j,
                        out=args.out / "desire" / f"reference_{j}", resume=args.resume,
                        progress=False, **game)
        x = ref.records["action"].to_numpy().astype(np.float64)
        t.add(f"scripted: {name}", *[fmt_share(float(consistent_with(
            p, x, endowment=cfg.endowment).mean())) for p in prefs])
    engel = bl.load_baseline(cfg.baseline)
    t.add(f"humans, not told a preference: {engel.description}",
          *[_human_share(engel.point_masses, implied[p.name], cfg.endowment) for p in prefs])
    t.notes += [
        "Each dictator reads one preference sentence before the game rules (LLM policy "
        "system_prefix) and decides once; consistent: the transfer maximises the stated "
        "utility over the feasible whole-unit transfers (self-interest: own payoff; equality: "
        "-|own - other|; altruism: other's payoff; two-to-one: -|other - 2 own|). 95% CIs: "
        "percentile bootstrap over dictators.",
        "Implied transfers (theory): " + "; ".join(
            f"{p.name} {_implied_text(implied[p.name])}" for p in prefs) + ".",
        "Fan et al. (2024) also state a common-interest preference (largest total); in this "
        "dictator game every split has the same total, so it does not identify an allocation "
        "and is left out. Their finding: LLMs build desires from common preferences but "
        "struggle with uncommon ones.",
        f"Human row: share of the dictators in {short(engel.citation)} giving 0 / half / all "
        "(point masses in the packaged baseline), i.e. whose "
        "revealed choice matches the preference; these humans were told no preference, and "
        "the share giving two thirds is not reported (n/a).",
    ]
    if not ctx.agents.is_llm:
        t.notes.append("Scripted stand-in: a uniform random transfer (it reads no preference).")


def _scripted_references(endowment: float) -> list[tuple[float, str]]:
    return [(0.0, "selfish (gives 0)"), (endowment / 2, f"equal split (gives "
                                                         f"{fmt(endowment / 2)})"),
            (endowment, f"gives everything ({fmt(endowment)})")]


def pct_est(e: Estimate) -> str:
    """A share estimate as ``50.0% [25.0, 75.0]``."""
    if not math.isfinite(e.value):
        return "n/a"
    if math.isnan(e.ci_low):
        return fmt_share(e.value)
    return f"{fmt_share(e.value)} [{100 * e.ci_low:.1f}, {100 * e.ci_high:.1f}]"


def _implied_text(values: np.ndarray) -> str:
    return " or ".join(fmt(float(v)) for v in values) if values.size <= 3 else (
        f"{fmt(float(values[0]))}..{fmt(float(values[-1]))}")


def _human_share(masses: dict[float, float], implied: np.ndarray, endowment: float) -> str:
    shares = {round(float(v) / endowment, 9) for v in implied}
    if len(shares) != 1:
        return "n/a"
    s = shares.pop()
    return fmt_share(masses[s]) if s in masses else "n/a"


def short(citation: str) -> str:
    """``Engel (2011)`` from a full reference."""
    from experiments._common import short_citation

    return short_citation(citation)


def _slug(name: str) -> str:
    return name.replace(" ", "_").replace("-", "_")
