"""Every piece of wording that persona prompts and neighbour summaries are built from.

Edit the phrases here; :mod:`populations.texts` only assembles them. A persona prompt is::

    IDENTITY [PERSONALITY] [RISK]

e.g. "You are a 42-year-old married woman in Texas with a bachelor's degree working in health
care, earning about $58,000 a year. People would describe you as organised and warm. You are
moderately willing to take risks."
"""

from __future__ import annotations

ADULT_AGE = 18
WORK_AGE = 16

# {opening} is "a 42-year-old" / "an 18-year-old" / "a baby" (age 0).
IDENTITY = "You are {opening} {marital}{noun} in {state}{education}{work}{income}."
AGE_PHRASE = "{age}-year-old"
INFANT_AGE_PHRASE = "baby"  # age 0: "You are a baby girl in Texas."
NOUNS: dict[tuple[str, bool], str] = {("Male", True): "man", ("Female", True): "woman",
                                      ("Male", False): "boy", ("Female", False): "girl"}
# Marital adjective (adults only), keyed by ``marital_status``.
MARITAL: dict[str, str] = {"Now married (except separated)": "married ", "Widowed": "widowed ",
                           "Divorced": "divorced ", "Separated": "separated ",
                           "Never married": "single "}
# Education phrase (adults only), keyed by the data-dictionary ``education`` label.
EDUCATION: dict[str, str] = {
    "No schooling completed": " with no completed schooling",
    "Nursery school, Preschool, or Kindergarten": " with no schooling beyond kindergarten",
    "Grade 1 to grade 8": " with schooling up to 8th grade",
    "Grade 9 to grade 12, no diploma": " with some high school but no diploma",
    "High School diploma": " with a high school diploma",
    "GED": " with a GED",
    "Some College, no degree": " with some college but no degree",
    "Associate degree": " with an associate degree",
    "Bachelors degree": " with a bachelor's degree",
    "Masters degree": " with a master's degree",
    "Professional degree": " with a professional degree",
    "Doctorate degree": " with a doctorate",
}
# Work phrase (age >= 16), keyed by ``industry_code``.
INDUSTRY: dict[str, str] = {
    "AGR": "agriculture, forestry or fishing", "EXT": "mining or oil and gas",
    "UTL": "utilities", "CON": "construction", "MFG": "manufacturing",
    "WHL": "wholesale trade", "RET": "retail", "TRN": "transportation and warehousing",
    "INF": "information and media", "FIN": "finance, insurance or real estate",
    "PRF": "professional, scientific or technical services", "EDU": "education",
    "MED": "health care", "SCA": "social assistance",
    "ENT": "arts, entertainment, hospitality or food service", "SRV": "other services",
    "ADM": "public administration", "MIL": "the military",
}
WORKING = " working in {industry}"
UNEMPLOYED = " who is unemployed"
NOT_WORKING = " who has not worked in the past five years"
# Income phrase (persons 15+, whose income the ACS records); amounts to 2 significant figures.
EARNING = ", earning about ${amount} a year"  # recent workers with income > 0
INCOME = ", with an income of about ${amount} a year"  # others with income > 0
NO_INCOME = ", with no personal income"
INCOME_LOSS = ", with a net income loss last year"

# Personality: domains with a T score < 45 ("low") or > 55 ("high") against the persona's sex x
# age norm group (the cut-offs of Johnson's IPIP-NEO report); average domains are not named.
PERSONALITY = " People would describe you as {traits}."
TRAIT_WORDS: dict[str, tuple[str, str]] = {  # domain: (low, high)
    "openness": ("conventional", "curious"),
    "conscientiousness": ("spontaneous", "organised"),
    "extraversion": ("reserved", "outgoing"),
    "agreeableness": ("blunt", "warm"),
    "neuroticism": ("calm", "prone to worry"),
}
# Risk: risk_taking (0-10) in equal thirds of the scale.
RISK: tuple[tuple[float, str], ...] = (
    (10 / 3, " You prefer to avoid risks."),
    (20 / 3, " You are moderately willing to take risks."),
    (float("inf"), " You are happy to take risks."),
)

# Neighbour summaries (PopulationModel.neighbour_summary); {noun} is "neighbour(s)".
NEIGHBOURS_PLAYED = ("Your {k} {noun} last played a mean of {action:.1f} and earned a mean of "
                     "{payoff:.1f}.")
NEIGHBOURS_SOME_PLAYED = ("{played} of your {k} {noun} have played; they last played a mean of "
                          "{action:.1f} and earned a mean of {payoff:.1f}.")
NEIGHBOURS_NONE_PLAYED = "None of your {k} {noun} has played yet."
NEIGHBOURS_EARNED = ("{played} of your {k} {noun} have played; they last earned a mean of "
                     "{payoff:.1f}.")
NO_NEIGHBOURS = "You have no neighbours."
NEIGHBOUR_NOUN: tuple[str, str] = ("neighbour", "neighbours")  # singular, plural
