"""GLEE-style negotiation: buyer-seller haggling and item division, with and without messages.

Pairs of census personas negotiate (Shapira et al. 2024, GLEE's negotiation family: the seller
values the good at F_a, the buyer at F_b = 1.2·F_a, alternating price offers) and divide a pool
of items they value privately (Deal or No Deal; Lewis et al. 2017). Each game is played with and
without free-text messages. The tables set agreement, prices, GLEE fairness and efficiency,
Pareto optimality and the Nash-product shortfall next to the games' theory modules: trade is
efficient, the subgame-perfect price leaves the last responder nothing, and the Nash bargaining
allocation maximises the product of values. GLEE's human data are not packaged, so the
benchmark is theory only.

    python -m experiments.negotiation_glee --n 16      # 16 pairs per game and condition
    python -m experiments.negotiation_glee --smoke
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

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

NAME = "negotiation_glee"


@dataclass(frozen=True, kw_only=True)
class NegotiationGleeConfig:
    """Settings of the negotiation experiment.

    Attributes:
        pairs: Games per game family and message condition (``--n``).
        seller_value: F_a (GLEE's unit M).
        buyer_ratio: F_b / F_a (GLEE: 1.2).
        negotiation_horizon: Most price offers.
        item_horizon: Most item-division proposals.
        message_max: Longest message kept, in characters.
        temperature: LLM sampling temperature.
        max_tokens: Answer budget without messages.
        max_tokens_messages: Answer budget with a message field.
        n_boot: Bootstrap replicates.
    """

    pairs: int = 16
    seller_value: float = 100.0
    buyer_ratio: float = 1.2
    negotiation_horizon: int = 6
    item_horizon: int = 4
    message_max: int = 60
    temperature: float = 0.7
    max_tokens: int = 24
    max_tokens_messages: int = 72
    n_boot: int = 200

    def __post_init__(self) -> None:
        for name in ("pairs", "negotiation_horizon", "item_horizon", "message_max",
                     "max_tokens", "max_tokens_messages"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        if not (self.seller_value > 0 and self.buyer_ratio > 0):
            raise ValueError("seller_value and buyer_ratio must be > 0")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.n_boot < 0:
            raise ValueError(f"n_boot must be >= 0, got {self.n_boot}")

    def negotiation(self, messages: bool) -> dict[str, Any]:
        """Config of the buyer-seller game."""
        buyer = self.seller_value * self.buyer_ratio
        return {"seller_value": self.seller_value, "buyer_value": buyer,
                "horizon": self.negotiation_horizon, "messages": messages,
                "message_max": self.message_max,
                "price_max": float(2 * math.ceil(max(self.seller_value, buyer)))}

    def item_division(self, messages: bool) -> dict[str, Any]:
        """Config of the item-division game (the default pool and values)."""
        return {"horizon": self.item_horizon, "messages": messages,
                "message_max": self.message_max}


SMOKE = NegotiationGleeConfig(pairs=2, negotiation_horizon=2, item_horizon=2, message_max=30,
                              max_tokens_messages=48, n_boot=20)


def config_for(args: ExperimentArgs) -> NegotiationGleeConfig:
    """The config the flags select."""
    cfg = SMOKE if args.smoke else NegotiationGleeConfig()
    return replace(cfg, pairs=args.n) if args.n is not None else cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment; returns the exit status."""
    return experiment_main(NAME, __doc__.splitlines()[0], argv=argv, run=run,
                           n_help="pairs per game and message condition (default 16)")


def run(args: ExperimentArgs, cfg: NegotiationGleeConfig | None = None) -> int:
    """Play both games with and without messages; print the tables."""
    import agora

    cfg = cfg or config_for(args)
    agents = Agents(args)
    summary = Summary(name=NAME, args=args)
    rng = np.random.default_rng(args.seed)
    pool = PersonaPool.adults(2 * cfg.pairs * 4, seed=args.seed)
    neg = summary.table(
        f"Buyer-seller negotiation (F_a = {fmt(cfg.seller_value)}, F_b = "
        f"{fmt(cfg.seller_value * cfg.buyer_ratio)}, at most {cfg.negotiation_horizon} offers)",
        ["population", "messages", "pairs", "agreement rate [95% CI]", "deal price [95% CI]",
         "offers to agree", "GLEE fairness [95% CI]", "GLEE efficiency [95% CI]"])
    items = summary.table(
        f"Item division (Deal or No Deal pool, at most {cfg.item_horizon} proposals)",
        ["population", "messages", "pairs", "agreement rate [95% CI]",
         "Pareto-optimal deals [95% CI]", "joint value / max [95% CI]",
         "Nash-product shortfall [95% CI]", "proposals to agree"])
    try:
        for k, messages in enumerate((False, True)):
            tokens = cfg.max_tokens_messages if messages else cfg.max_tokens
            policy = agents.llm(temperature=cfg.temperature, max_tokens=tokens)
            for j, (game, config) in enumerate((("negotiation", cfg.negotiation(messages)),
                                                ("item_division", cfg.item_division(messages)))):
                label = f"{game}{', messages' if messages else ''}"
                res = agora.run(game, policy=policy, n_instances=cfg.pairs,
                                seed=args.seed + 10 * k + j,
                                out=args.out / f"{game}_{'messages' if messages else 'silent'}",
                                resume=args.resume, progress=not args.quiet,
                                personas=pool.seat(cfg.pairs, 2), **config)
                summary.record_run(label, res)
                summary.add_report(label, res, n_boot=cfg.n_boot)
                who = f"agents: {agents.label()}"
                if game == "negotiation":
                    _negotiation_row(neg, who, messages, res.records, cfg, rng)
                else:
                    _items_row(items, who, messages, res.records, cfg, rng)
        _theory_rows(neg, items, cfg)
    finally:
        agents.close()
    neg.notes += [
        "GLEE metrics (games.negotiation.theory): fairness 1 − 4((p − p_f)/F_a)² on trade "
        "(1 without), p_f = (F_a + F_b)/2; efficiency 1 iff trade happens exactly when "
        "F_b > F_a.",
        "Subgame-perfect price: the last proposer leaves the other its outside option (0).",
    ]
    items.notes.append("Nash-product shortfall: 1 − u_A·u_B / max u_A·u_B (0 at the Nash "
                       "bargaining allocation, 1 without a deal).")
    summary.notes.append(agents.caveat(temperature=cfg.temperature))
    summary.write()
    return 0


def _rounds(end: pl.DataFrame) -> str:
    deal = end.filter(pl.col("agreed") == 1.0)
    return fmt(float(deal["agreement_round"].mean())) if deal.height else "n/a"


def _negotiation_row(t: Any, who: str, messages: bool, records: pl.DataFrame,
                     cfg: NegotiationGleeConfig, rng: np.random.Generator) -> None:
    end = finals(records)
    deal = end.filter(pl.col("agreed") == 1.0)
    e = {k: column_estimate(v, k, n_boot=cfg.n_boot, rng=rng) for k, v in {
        "agreed": end["agreed"], "price": deal["price"], "fairness": end["fairness"],
        "efficiency": end["efficiency"]}.items()}
    t.add(who, messages, end.height, fmt_est(e["agreed"]), fmt_est(e["price"]), _rounds(end),
          fmt_est(e["fairness"]), fmt_est(e["efficiency"]))


def _items_row(t: Any, who: str, messages: bool, records: pl.DataFrame,
               cfg: NegotiationGleeConfig, rng: np.random.Generator) -> None:
    end = finals(records)
    e = {k: column_estimate(end[k], k, n_boot=cfg.n_boot, rng=rng)
         for k in ("agreed", "pareto_optimal", "efficiency", "nbs_deviation")}
    t.add(who, messages, end.height, fmt_est(e["agreed"]), fmt_est(e["pareto_optimal"]),
          fmt_est(e["efficiency"]), fmt_est(e["nbs_deviation"]), _rounds(end))


def _theory_rows(neg: Any, items: Any, cfg: NegotiationGleeConfig) -> None:
    from games.item_division import theory as it
    from games.item_division.config import ItemDivisionConfig
    from games.negotiation import theory as nt
    from games.negotiation.config import NegotiationConfig

    nc = NegotiationConfig(**cfg.negotiation(False))
    spe = nt.spe_price(nc, seller_opens=True)
    trade = nt.efficient_trade(nc)
    neg.add("theory: subgame-perfect (seller opens)", "", "", float(trade), spe, 1 if trade
            else "n/a", float(nt.fairness(nc, np.array([spe]))[0]),
            float(nt.efficiency(nc, np.array([trade]))[0]))
    neg.add("theory: GLEE fair price", "", "", float(trade), nt.fair_price(nc), "", 1.0,
            float(nt.efficiency(nc, np.array([trade]))[0]))
    ic = ItemDivisionConfig(**cfg.item_division(False))
    plan, _ = it.spe_plan(ic)
    va, vb = it.values(ic, plan[:1])
    spe_pareto = float(it.is_pareto_optimal(ic, plan[:1])[0])
    nbs = it.nash_bargaining_allocation(ic)
    na, nb = it.values(ic, nbs[None, :])
    best = float(na[0] * nb[0])
    items.add("theory: subgame-perfect", "", "", 1.0, spe_pareto,
              float(it.efficiency(ic, va, vb)[0]),
              1 - float(va[0] * vb[0]) / best if best > 0 else math.nan, 1)
    items.add("theory: Nash bargaining allocation", "", "", 1.0,
              float(it.is_pareto_optimal(ic, nbs[None, :])[0]),
              float(it.efficiency(ic, na, nb)[0]), 0.0, "")


if __name__ == "__main__":
    raise SystemExit(main())
