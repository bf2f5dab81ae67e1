"""Published human results of the traveler's dilemma, as read in their sources.

No individual claims of any traveler's-dilemma experiment are public (none were found), so the
game ships no ``baselines.json``: these are the statements the project's reference facts mark
as read, each quoted with where it was read. A number appears only where the source prints it
(``value``); the rest are qualitative. Capra et al.'s per-R averages are not transcribed here
(they are marked recalled in the reference facts) and must not be added from memory.
"""

from __future__ import annotations

from dataclasses import dataclass

CAPRA = ("Capra, C. M., Goeree, J. K., Gomez, R. & Holt, C. A. (1999). Anomalous behavior in a "
         "traveler's dilemma? American Economic Review 89(3):678-690.")
GOEREE_HOLT = ("Goeree, J. K. & Holt, C. A. (1999). Stochastic game theory: for playing games, "
               "not just for doing theory. PNAS 96(19):10564-10567 (Fig. 1 caption, PMC33741; "
               "data of Capra et al. 1999).")
BASU = ("Basu, K. (2007). The traveler's dilemma. Scientific American 296(6):90-95.")


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One published statement about human claims.

    Attributes:
        name: Identifier.
        low, high, reward: The design it describes (``None``: across designs).
        periods: Which periods it covers, in words.
        quote: The source's words.
        value: The number the source prints (``None``: qualitative only).
        approximate: Whether the source itself gives ``value`` as approximate ("≈").
        citation: The study.
        where: Where the words were read.
    """

    name: str
    low: int | None
    high: int | None
    reward: float | None
    periods: str
    quote: str
    value: float | None
    approximate: bool
    citation: str
    where: str


FINDINGS: tuple[Finding, ...] = (
    Finding(name="capra1999_direction", low=80, high=200, reward=None, periods="all",
            quote="Average claims are inversely related to the size of the penalty/reward "
                  "parameter", value=None, approximate=False, citation=CAPRA,
            where="Capra et al. (1999) abstract"),
    Finding(name="capra1999_r50", low=80, high=200, reward=50.0, periods="10 periods, random "
            "matching", quote="quite close to the Nash prediction of 80", value=None,
            approximate=False, citation=GOEREE_HOLT, where="PMC33741, Fig. 1 caption"),
    Finding(name="capra1999_r10_start", low=80, high=200, reward=10.0, periods="start",
            quote="started high (at ≈180)", value=180.0, approximate=True,
            citation=GOEREE_HOLT, where="PMC33741, Fig. 1 caption"),
    Finding(name="capra1999_r10_final", low=80, high=200, reward=10.0,
            periods="final five periods (6-10)", quote="186 in the final five periods",
            value=186.0, approximate=False, citation=GOEREE_HOLT,
            where="PMC33741, Fig. 1 caption"),
    Finding(name="basu2007_informal", low=2, high=100, reward=2.0, periods="one shot",
            quote="most people pick 100 or a number close to 100", value=None,
            approximate=False, citation=BASU, where="Basu (2007) Scientific American text"),
)
"""Every statement, in the order a table prints them."""


def findings_for(reward: float | None = None, low: int | None = None,
                 high: int | None = None) -> tuple[Finding, ...]:
    """Statements about a design: those of the given bounds and reward, plus those that hold
    across rewards of the same bounds (``reward`` None in the finding)."""
    return tuple(f for f in FINDINGS
                 if (low is None or f.low == low) and (high is None or f.high == high)
                 and (reward is None or f.reward is None or f.reward == reward))
