"""Published human results of sealed-bid private-value auctions, as read in their sources.

No individual bids of any IPV auction experiment were found in public data, so the game ships
no ``baselines.json``: these are the statements marked as read, each quoted with where it was
read. A number appears only where the source prints it (``value``); the rest are qualitative.
Magnitudes that were only recalled (CSW 1988's estimated r, the size of second-price overbids,
first- over second-price revenue) are deliberately absent and must not be added from memory.
"""

from __future__ import annotations

from dataclasses import dataclass

GWW = ("Garratt, R. J., Walker, M. & Wooders, J. (2012). Behavior in second-price auctions by "
       "highly experienced eBay buyers and sellers. Experimental Economics (read in the "
       "working paper of August 23, 2009).")
EXP_ECON_2017 = ("Experimental Economics (2017), doi:10.1007/s10683-017-9510-y, introduction, "
                 "citing Kagel (1995) and Kagel & Levin (1993).")
KAGEL_LEVIN_PALGRAVE = ("Kagel, J. H. & Levin, D. Auctions: experiments. New Palgrave "
                        "Dictionary of Economics (2nd ed.).")
RISK_OB = ("Risk aversion and overbidding in first price sealed bid auctions: new experimental "
           "evidence (journal article citing Kagel & Levin 2016), introduction, on Cox, Smith & "
           "Walker (1982-1988).")


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One published statement about human bidders.

    Attributes:
        name: Identifier.
        format: ``first_price``, ``second_price`` or ``both``.
        measure: What it is about (``overbid_subjects``, ``overbid_rnne``, ``crra_r``,
            ``revenue``).
        quote: The source's words.
        value: The number the source prints (``None``: qualitative only).
        source: Short label of who found it.
        citation: The study.
        where: Where the words were read.
    """

    name: str
    format: str
    measure: str
    quote: str
    value: float | None
    source: str
    citation: str
    where: str


FINDINGS: tuple[Finding, ...] = (
    Finding(name="gww2012_two_thirds", source="Garratt, Walker & Wooders (2012)",
            format="second_price", measure="overbid_subjects",
            quote="roughly two-thirds of the subjects overbid (i.e., bid above value)",
            value=2 / 3, citation=GWW,
            where="working-paper copy on paperzz.com (doc 7229641), introduction"),
    Finding(name="gww2012_ebay", source="Garratt, Walker & Wooders (2012), eBay bidders",
            format="second_price", measure="overbid_subjects",
            quote="the experienced bidders exhibited no greater tendency to overbid than to "
                  "underbid", value=None, citation=GWW, where="same copy, abstract"),
    Finding(name="kagel_levin_spa", source="Kagel et al. (1987); Kagel & Levin (1993)",
            format="second_price", measure="overbid_value",
            quote="subjects deviate from the WDS by overbidding much more than underbidding",
            value=None, citation=EXP_ECON_2017, where="Springer article, introduction"),
    Finding(name="kagel_fpa_rnne", source="Kagel (1995); Kagel & Levin (1993)",
            format="first_price", measure="overbid_rnne",
            quote="overbidding relative to the risk-neutral, Nash equilibrium (RNNE) has also "
                  "been frequently found in first-price auctions", value=None,
            citation=EXP_ECON_2017, where="Springer article, introduction"),
    Finding(name="csw_r_below_one", source="Cox, Smith & Walker (1982-1988)",
            format="first_price", measure="crra_r",
            quote="As r is frequently estimated to be below one, these studies conclude that "
                  "risk aversion leads to OB", value=None, citation=RISK_OB,
            where="thefreelibrary.com copy (a0578273400), introduction"),
    Finding(name="kagel_levin_ret", source="Kagel & Levin (New Palgrave)",
            format="both", measure="revenue",
            quote="In single-unit private value auctions the Revenue Equivalence Theorem "
                  "fails, but the comparative static predictions of Nash bidding theory hold",
            value=None, citation=KAGEL_LEVIN_PALGRAVE,
            where="abstract (studylib.net copy of the Palgrave entry)"),
)
"""Every statement, in the order a table prints them."""


def findings_for(fmt: str, measure: str | None = None) -> tuple[Finding, ...]:
    """Statements about a format (and those about both), optionally of one measure."""
    return tuple(f for f in FINDINGS if f.format in (fmt, "both")
                 and (measure is None or f.measure == measure))
