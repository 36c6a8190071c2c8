"""German dates and ordinals: the ending of an ordinal by the word before it, ranges of days."""

from __future__ import annotations

import re

from batchvideo_media.normalize.common import _words
from batchvideo_media.normalize.european_words import _EU_DAYS, _eu_number
from batchvideo_media.normalize.latin import _DE_FEMININE

# The ending of a German ordinal ("der dritte", "am dritten", "mein dritter") depends on the word
# before it. Where gender and case cannot be known, the nominative masculine is taken: "-er" after
# ein-words and with no article ("Berlin, zwölfter August"), "-e" after der/die/das.
_DE_EIN_WORDS = ("ein", "kein", "mein", "dein", "sein", "ihr", "unser", "euer")
_DE_DER_WORDS = ("dies", "jen", "jed", "welch")
_DE_WEAK_E = {"der", "die", "das"}
_DE_WEAK_N = {"dem", "den", "des", "am", "im", "vom", "zum", "zur", "beim", "bis", "ab", "seit"}
# "der" is a dative or genitive feminine after these prepositions ("in der neunundachtzigsten Minute",
# "während der dritten Runde"), and before a feminine noun anywhere (its nominative is "die").
_DE_PREPOSITIONS = {"in", "an", "auf", "mit", "von", "zu", "bei", "nach", "aus", "seit", "vor", "hinter", "über",
                    "unter", "neben", "zwischen", "während", "wegen", "trotz", "statt", "innerhalb", "außerhalb",
                    "gegenüber", "ab", "laut", "gemäß", "bis"}
_DE_MONTHS = ("Januar Februar März April Mai Juni Juli August September Oktober November Dezember").split()
# A numeric date, "12.08.1990", "3.5.24", "am 12.08.": without a year only when the month has two
# digits or a word that governs a date comes before it ("Version 2.5." is not a date).
_DE_DATE = re.compile(r"(\b\w+,?\s+)?(?<![\d.,])(0?[1-9]|[12]\d|3[01])\.\s?(0?[1-9]|1[0-2])\.(?:\s?(\d{4}|\d{2}))?(?![\d])")


def _de_ordinal(number: int, before: str, head: str = "", noun: str = "") -> str:
    """`before`: the word before the ordinal; `head`: the text before that word; `noun`: the word after."""
    word = _words(number, "de", to="ordinal")  # the weak form: "dritte"
    before = before.strip().lower()
    preposition = re.search(r"(\w+)\s*$", head)
    if before == "der" and ((preposition and preposition.group(1).lower() in _DE_PREPOSITIONS)
                            or _DE_FEMININE.search(noun)):
        return word + "n"
    if before in _DE_WEAK_N:
        return word + "n"
    if before in _DE_WEAK_E:
        return word
    if before.startswith(_DE_EIN_WORDS + ("eur",)) and before not in _DE_EIN_WORDS:
        return word if before.endswith("e") else word + "n"  # "meine dritte", "meinem/einer dritten"
    if before.startswith(_DE_DER_WORDS):
        return word + "n" if before[-2:] in ("em", "en") else word  # "dieser dritte", "diesem dritten"
    return word + "r"  # "ein/mein dritter", "dritter Platz"


# A range of days, "vom 5.–7. Mai", "12.–14.9.": both ordinals in the dative of "vom … bis …".
_DE_DAY_RANGE = re.compile(r"(\b\w+\s+)?(?<![\d.,])(0?[1-9]|[12]\d|3[01])\.\s?[–—-]\s?(0?[1-9]|[12]\d|3[01])\."
                           r"(?:\s?(0?[1-9]|1[0-2])\.(?:\s?(\d{4}))?(?!\d)|(?=\s+(?:" + "|".join(_DE_MONTHS) + r")\b))")


def _de_day_range(m: re.Match) -> str:
    before, first, last, month, year = m.group(1) or "", int(m.group(2)), int(m.group(3)), m.group(4), m.group(5)
    word = before.strip().lower()
    governed = word in _DE_WEAK_N | _DE_WEAK_E or word.startswith(_DE_EIN_WORDS + _DE_DER_WORDS)
    spoken = (f"{before}{_de_ordinal(first, before) if governed else _words(first, 'de', to='ordinal') + 'n'} bis "
              f"{_words(last, 'de', to='ordinal')}n")
    if month:
        spoken += f" {_DE_MONTHS[int(month) - 1]}" + (f" {_eu_number(year, 'de')}" if year else "")
    return spoken


def _de_weekday_article(weekday: str, head: str) -> str | None:
    """After a weekday and its comma a date is its apposition, with the article of its case: "am Montag,
    dem dritten März" (dative, as "am"), "Samstag, den vierzehnten Juni" (accusative, a date standing
    alone). None where `weekday` ("Montag, ") is not one; `head` is the text before it."""
    if not weekday.endswith((", ", ",")) or weekday.rstrip().rstrip(",") not in _EU_DAYS["de"][0].values():
        return None
    return "dem " if re.search(r"\b[Aa]m\s+$", head) else "den "


def _de_date(m: re.Match) -> str:
    before, day, month, year = m.group(1) or "", int(m.group(2)), int(m.group(3)), m.group(4)
    article = _de_weekday_article(before, m.string[:m.start()])
    if article is not None:
        return f"{before}{article}{_words(day, 'de', to='ordinal')}n {_DE_MONTHS[month - 1]}" + (
            f" {_eu_number(year, 'de')}" if year else "")
    governed = before.strip().lower() in _DE_WEAK_N | _DE_WEAK_E or before.strip().lower().startswith(
        _DE_EIN_WORDS + _DE_DER_WORDS)
    if not year and len(m.group(3)) < 2 and not governed:
        return m.group()
    spoken = f"{before}{_de_ordinal(day, before)} {_DE_MONTHS[month - 1]}"
    return spoken + (f" {_eu_number(year, 'de')}" if year else "")
