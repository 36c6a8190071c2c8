"""Helpers every language uses: hyphenated ranges, acronyms spelled or said, num2words, abbreviation tables."""

from __future__ import annotations

import functools
import re

_DECORATION = re.compile(r"[*_|^`\\<>{}\[\]~～〜#＃＊]+")
# A range between two numbers: "2020–2024", "15%~20%" (not "-": dates and codes use it).
_RANGE = re.compile(r"(?<=[\d%％℃])\s*[~～〜–—]\s*(?=[-−]?[$¥￥€£]?\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_CODE = re.compile(r"(?<![\d.])\d{3,}(?:-\d{2,})+(?!\d|\.\d)")  # phone numbers, ids: read digit by digit
_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
# Initialisms: two or three capitals ("AI", "CEO", "FBI"), or up to six without a vowel ("HTML").
# Longer ones with vowels (NASA, NATO, UNESCO) are read as words; capitals after a number are a
# unit ("35,000 MW").
# A range written with a hyphen between two numbers ("pages 12-30", "1998-2003", "2020-21"), not a
# part of a longer chain of groups (dates, phone numbers, ids, "COVID-19").
_HYPHEN_RANGE = re.compile(r"(?<![\w.,\-−/])(\d+(?:[.,]\d+)*)\s?[-‐]\s?(\d+(?:[.,]\d+)*)(?![A-Za-z\d\-−/]|[.,]\d)")
_ACRONYM = re.compile(r"(?<![A-Za-z\d])[A-Z]{2,6}(?![A-Za-z])")
# The same with a plural s ("DVDs", "CEOs", "PKWs"), spelled with the s joined to the last letter: "D V Ds".
_PLURAL_ACRONYM = re.compile(r"(?<![A-Za-z\d])[A-Z]{2,6}s?(?![A-Za-z])")
# A longer all-capitals word is said as a word when it can be (NASA, UNESCO, AIDS) and spelled when it
# cannot: no vowel (SNCF), three consonants in a row (HDMI), two at the end without an s (RATP), or
# three vowels in a row (IEEE).
_UNSAYABLE = re.compile(r"^[^AEIOUY]+$|[^AEIOUY]{3}|[^AEIOUYS]{2}$|[AEIOUY]{3}")
# Sayable ones that are spelled all the same by convention (the OECD's French and Spanish name).
_SPELLED = frozenset({"OCDE"})
# Unit symbols written in capitals only (data sizes, power, horsepower), which look like initialisms.
_CAPITAL_UNITS = frozenset({"KB", "MB", "GB", "TB", "PB", "MW", "GW", "TW", "PS", "HP", "CV"})


def _hyphen_ranges(text: str, to: str, decimal: str = ".", pattern: re.Pattern = _HYPHEN_RANGE) -> str:
    """Hyphenated ranges with the language's "to"; what only looks like one is left for the code reader.

    It is a range when the second number is the larger (or a year's last two digits, "2020-21"),
    neither starts with 0 ("555-0142"), it is not a local phone number (3 then 4 digits, "555-1234"),
    and two four-digit numbers are both years ("1998-2003", not the hotline "1577-9999")."""
    def value(number: str) -> float:
        whole, _, fraction = number.partition(decimal)
        return float(re.sub(r"\D", "", whole) + "." + (fraction or "0"))

    def replace(m: re.Match) -> str:
        first, second = m.group(1), m.group(2)
        if any(len(n) > 1 and n[0] == "0" and n[1].isdigit() for n in (first, second)):
            return m.group()
        if first.isdigit() and second.isdigit():
            if (len(first), len(second)) == (3, 4):
                return m.group()
            years = [1000 <= int(n) < 2100 for n in (first, second)]
            if len(first) == len(second) == 4 and not all(years):
                return m.group()
            if len(first) == 4 and years[0] and len(second) == 2 and int(second) > int(first[2:]):
                return f"{first}{to}{second}"
        return f"{first}{to}{second}" if value(first) < value(second) else m.group()

    return pattern.sub(replace, text)


def _spell_acronyms(text: str, letters: dict[str, str] | None = None, words: frozenset[str] = frozenset(),
                    plurals: bool = False) -> str:
    """`words`: the language's short acronyms said as words ("RAM" in English, "ONU" in Spanish and French);
    `plurals`: whether a plural s after the capitals is the language's (en, de, fr, es: "DVDs", "CEOs")."""
    latin_words = re.findall(r"[A-Za-z]+", text)
    if len(latin_words) >= 3 and not any(w != w.upper() for w in latin_words):
        return text  # a shouted sentence is words, not initialisms

    def spell(m: re.Match) -> str:
        capitals, plural = m.group().removesuffix("s"), m.group().endswith("s")
        # capitals after a number are a unit ("35,000 MW", "½ TL"), unless the number is a time ("14:05 UTC");
        # after "N-" only a unit's symbol is ("a 1-TB drive"; "a 3-CD set", "COVID-19-PCR" are spelled)
        before = text[:m.start()]
        if re.search(r"[\d½⅓⅔¼¾⅛] $", before) and not re.search(r"\d:\d\d $", before) \
                or re.search(r"\d-$", before) and capitals in _CAPITAL_UNITS:
            return m.group()
        if capitals in words:
            return m.group()
        # "Henry VIII", "World War II": a Roman numeral after a name is not an initialism
        if set(capitals) <= set("IVXLCDM") and set(capitals) & set("IVX") \
                and re.search(r"[A-Z][a-z]+\s+$", text[:m.start()]):
            return m.group()
        if len(capitals) >= 4 and not _UNSAYABLE.search(capitals) and capitals not in _SPELLED:
            return m.group()
        spelled = "".join(letters[c] for c in capitals) if letters else " ".join(capitals)
        return spelled + ("s" if plural else "")

    return (_PLURAL_ACRONYM if plurals else _ACRONYM).sub(spell, text)


# A lower-case letter before capitals, "iOS", "eSIM": said letter by letter as well (the capitals alone
# would be spelled and the "i" left to be read as a word). A longer lower-case head is a word said as
# one, and only the capitals after it are spelled: "macOS" mac O S, "watchOS", "iPadOS" iPad O S.
_MIXED_ACRONYM = re.compile(r"(?<![A-Za-z])([a-z](?:[a-z]*[A-Z]?[a-z]+)?)([A-Z]{2,4})(?![A-Za-z])")


def _spell_mixed_case(text: str, letters: dict[str, str] | None = None) -> str:
    def spell(m: re.Match) -> str:
        head, capitals = m.group(1), m.group(2)
        # a head without a vowel ("tvOS") is letters too
        spelled = m.group() if len(head) == 1 or not re.search(r"[aeiouy]", head.lower()) else capitals
        said = "".join(letters[c.upper()] for c in spelled) if letters else " ".join(spelled)
        return said if spelled == m.group() else f"{head} {said}"

    return _MIXED_ACRONYM.sub(spell, text)


@functools.lru_cache(maxsize=None)
def _num2words():
    from num2words import num2words

    return num2words


def _words(number: str | int | float, lang: str, **kwargs) -> str:
    words = _num2words()(number, lang=lang, **kwargs)
    if lang == "fr" and kwargs.get("to") == "ordinal":
        # num2words keeps the plural s of "quatre-vingts" and "deux cents" before -ième ("quatre-vingtsième");
        # the ordinal is built on the invariable form: "quatre-vingtième", "deux centième"
        words = re.sub(r"(vingt|cent)sième", r"\1ième", words)
    return words


# Energy in watt-hours, by the SI prefix before "Wh": every language names the prefix and then its own word
# for watt-hours ("TWh" Terawattstunden, térawattheures, teravatios hora, 太瓦时, テラワットアワー, 테라와트시).
_WATT_HOUR_PREFIXES = ("", "k", "M", "G", "T")


def _watt_hours(prefixes: str, unit: str) -> dict[str, str]:
    """`prefixes`: the words for kilo, mega, giga and tera; `unit`: watt-hours as the word stands alone."""
    words = [""] + prefixes.split()
    return {f"{symbol}Wh": word + unit.lower() if word else unit for symbol, word in zip(_WATT_HOUR_PREFIXES, words)}


# Fuel consumption, litres per hundred kilometres, as each language names the rate ("Liter auf hundert Kilometer",
# "litres aux cent kilomètres", "litros a los cien kilómetros"), under the spellings in use.
_FUEL_CONSUMPTION_SPELLINGS = ("l/100 km", "l/100km", "L/100 km", "L/100km")


def _fuel_consumption(name: str) -> dict[str, str]:
    return dict.fromkeys(_FUEL_CONSUMPTION_SPELLINGS, name)


def _replace_abbreviations(text: str, table: list[tuple[str, str]]) -> str:
    for pattern, replacement in table:
        text = re.sub(pattern, replacement, text)
    return text
