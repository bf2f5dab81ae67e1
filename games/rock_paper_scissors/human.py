"""Human reference for rock-paper-scissors: Wang, Xu & Zhou's (2014) subjects, as summary
statistics only (no rows: the data carry no licence).

Every number below is marked [computed] in ``../shared/reference/classic_games.md`` §5c
(compiled 2026-12 for agora), computed there from the R package stratEst's ``data.WXZ2014``
(72 subjects in groups of six, randomly matched each of 300 periods); the choice shares are
also [read] in the stratEst vignette. Definitions: "stay" repeats one's last move, "up" shifts
to the move that beats one's last move, "down" to the move it beats; the outcome is that of the
last round.

What the numbers say: in this subset players *stay* more after a loss (52.7 %) than after a win
(36.0 %), and only 28 % of subjects have a higher stay rate after a win than after a loss, the
opposite of the textbook "win-stay, lose-shift"; cite these numbers, not that slogan. Which
value of the win payoff a the 72-subject subset was played at is not documented (WXZ ran
several a-treatments, and report that conditional responses change with a), so compare with
care at any a.
"""

from __future__ import annotations

from typing import Any

SOURCE = ("computed from stratEst data.WXZ2014 (Wang, Xu & Zhou 2014; 72 subjects x 300 "
          "periods; no licence: summary statistics only)")
"""Where the numbers come from."""
COMPILED = "../shared/reference/classic_games.md §5c (compiled 2026-12)"
"""Where they were compiled, marked [computed]."""
CITATION = "Wang, Xu & Zhou (2014), Sci Rep 4:5830"
A_TREATMENT = "undocumented: which a the 72-subject stratEst subset played is not stated"

CHOICE_SHARES = {"rock": 0.357, "paper": 0.322, "scissors": 0.321}
"""Share of each move over all decisions [read: stratEst vignette; computed]."""

POOLED = {  # previous outcome -> response -> rate, pooled over all transitions [computed]
    "win": {"stay": 0.360, "up": 0.365, "down": 0.275},
    "tie": {"stay": 0.433, "up": 0.233, "down": 0.335},
    "loss": {"stay": 0.527, "up": 0.248, "down": 0.226},
}
"""Stay / shift-up / shift-down rates after a win, tie and loss, pooled."""

PER_SUBJECT_STAY = {"win": 0.357, "tie": 0.436, "loss": 0.527}
"""Mean over subjects of each subject's stay rate after a win, tie and loss [computed]."""

WIN_STAY_ABOVE_LOSE_STAY = 0.28
"""Share of subjects whose stay rate after a win exceeds that after a loss [computed]."""

SUBJECTS = 72
PERIODS = 300


def reference() -> dict[str, Any]:
    """The reference as plain data (what the report's conditional-response table prints)."""
    return {"name": "Wang, Xu & Zhou (2014) subjects", "source": SOURCE,
            "compiled": COMPILED, "citation": CITATION, "a_treatment": A_TREATMENT,
            "subjects": SUBJECTS, "periods": PERIODS,
            "choice_shares": dict(CHOICE_SHARES),
            "pooled": {k: dict(v) for k, v in POOLED.items()},
            "per_subject_stay": dict(PER_SUBJECT_STAY),
            "win_stay_above_lose_stay": WIN_STAY_ABOVE_LOSE_STAY}
