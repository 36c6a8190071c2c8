"""German, French and Spanish: the rewrite passes over a sentence, in order."""

from __future__ import annotations

import functools
import re

from batchvideo_media.normalize.common import (
    _hyphen_ranges,
    _replace_abbreviations,
    _spell_acronyms,
    _spell_mixed_case,
    _words,
)
from batchvideo_media.normalize.european_words import (
    _EU_CENTS,
    _EU_CURRENCY_WORD_SYMBOL,
    _EU_CURRENCY_WORDS,
    _EU_WORD_ACRONYMS,
    _EUROPEAN,
    _NBSP,
    _es_ordinal,
    _eu_agree,
    _eu_days,
    _eu_money,
    _eu_months,
    _eu_number,
    _eu_phone,
    _eu_postal,
    _eu_scales,
    _eu_singular,
    _eu_slash_date,
    _eu_time,
)
from batchvideo_media.normalize.german import (
    _DE_DATE,
    _DE_DAY_RANGE,
    _de_date,
    _de_day_range,
    _de_ordinal,
    _de_weekday_article,
)
from batchvideo_media.normalize.latin import (
    _DURATION,
    _DURATION_UNITS,
    _MINUS_WORD,
    _PER,
    _ROMAN_COUNTED,
    _degree_sign,
    _dimensions,
    _duration_words,
    _fractions,
    _per,
    _romans,
    _scores,
    _service_numbers,
    _split_codes,
    _versions,
)


@functools.lru_cache(maxsize=None)
def _eu_number_words(lang: str) -> str:
    """The language's numbers from one to ninety-nine in words, as a pattern, longest first."""
    words = {_words(n, lang) for n in range(1, 100)} | {"un", "une", "ein", "eine", "una"}
    return "|".join(sorted(words, key=len, reverse=True))


def _eu_number_pattern(lang: str) -> str:
    """A number written the language's way: "1.234,5" (de, es), "1 234,5" (fr), "12"."""
    return rf"\d{{1,3}}(?:[{re.escape(_EUROPEAN[lang]['thousands'])}{_NBSP}]\d{{3}})+(?:,\d+)?|\d+(?:,\d+)?"


# A duration written with its units, "2 h 05 min 12 s", "1 h 30 min", "2 Std. 5 Min.", "5 min 30 s": the unit
# symbols in the order hours, minutes, seconds; and one after a number already in words ("cinq min").
# (a full stop after the last is the abbreviation's, and the sentence's too at the end or before a capital)
_EU_DURATION_UNITS = {"Std": 0, "h": 0, "Min": 1, "min": 1, "Sek": 2, "sec": 2, "seg": 2, "s": 2}
_EU_DURATION_UNIT = "|".join(sorted(_EU_DURATION_UNITS, key=len, reverse=True))
_EU_DURATION_CHAIN = re.compile(rf"(?<![\w,.:])\d{{1,3}}\s?(?:{_EU_DURATION_UNIT})\.?"
                                rf"(?:(?:,\s?|\s(?:und|et|y)\s|\s)?\d{{1,2}}\s?(?:{_EU_DURATION_UNIT})\.?){{1,2}}(?!\w)")
# The words before a time of day, where "14:30:15" is a clock and not a race time.
_EU_CLOCK_BEFORE = re.compile(r"\b(?:um|gegen|ab|bis|à|vers|dès|las?)\s+$", re.IGNORECASE)


def _eu_durations(text: str, lang: str) -> str:
    """Race times ("en 2:04:18" dos horas, cuatro minutos y dieciocho segundos) and durations with their units."""
    def say(values) -> str:
        return _duration_words(values, lang, lambda n, noun: _eu_agree(_words(n, lang), noun, lang))

    def chain(m: re.Match) -> str:
        parts = re.findall(rf"(\d+)\s?({_EU_DURATION_UNIT})", m.group())
        places = [_EU_DURATION_UNITS[unit] for _, unit in parts]
        if places != sorted(set(places)):
            return m.group()  # not hours, minutes, seconds in order
        values = [0, 0, 0]
        for (value, _), place in zip(parts, places):
            values[place] = int(value)
        rest = m.string[m.end():]
        return say(values) + ("." if m.group().endswith(".") and re.match(r"\s*$|\s+[A-ZÀ-ÖÙ-Ý]", rest) else "")

    text = _DURATION.sub(lambda m: m.group() if _EU_CLOCK_BEFORE.search(m.string[:m.start()])
                         or re.match(r"\s?(?:Uhr|h\b|horas)", m.string[m.end():]) else say(map(int, m.groups())), text)
    text = _EU_DURATION_CHAIN.sub(chain, text)
    minute = _DURATION_UNITS[lang][1].split(" ")
    return re.sub(rf"\b({_eu_number_words(lang)})\s(?:min|Min\.)(?!\w)",
                  lambda m: f"{m.group(1)} {minute[m.group(1) not in ('un', 'une', 'ein', 'eine', 'uno', 'una')]}", text)


def _eu_words(text: str, lang: str) -> str:
    spec, number = _EUROPEAN[lang], _eu_number_pattern(lang)
    text = _degree_sign(text)
    text = _eu_durations(text, lang)
    text = _eu_scales(text, lang, number)
    text = _eu_days(text, lang)
    text = _eu_months(text, lang)
    text = _replace_abbreviations(text, spec["abbreviations"])
    text = _romans(text, lang)
    text = _spell_mixed_case(text)
    text = _spell_acronyms(text, words=_EU_WORD_ACRONYMS[lang], plurals=True)
    text = _eu_phone(text, lang)
    text = _eu_postal(text, lang)
    text = _service_numbers(text, lang)
    return text


def _eu_times_and_dates(text: str, lang: str) -> str:
    spec = _EUROPEAN[lang]
    # Times with a dot: "8.15 Uhr", "17.30 h", "a las 9.30" (before dates and versions read the dot).
    if lang == "de":
        text = re.sub(r"(?<![\d.])([01]?\d|2[0-3])\.([0-5]\d)\s?Uhr\b", lambda m: _eu_time(m, lang), text)
        text = re.sub(r"(\bum\s+)([01]?\d|2[0-3])\.([0-5]\d)(?![\d.])",
                      lambda m: m.group(1) + _eu_time(re.match(r"(\d+)\D(\d+)", f"{m.group(2)}:{m.group(3)}"), lang), text)
    if lang == "es":
        text = _ES_TIME_RANGE.sub(_es_time_range, text)
        text = re.sub(r"(?<![\d.])([01]?\d|2[0-3])\.([0-5]\d)\s?h\b", lambda m: _eu_time(m, lang), text)
        text = re.sub(r"(\blas?\s+)([01]?\d|2[0-3])[.:]([0-5]\d)(?![\d.:])(\s?h\b\.?)?",
                      lambda m: m.group(1) + _eu_time(re.match(r"(\d+)\D(\d+)", m.group(2) + ":" + m.group(3)), lang)
                      + _es_hour_symbol(m), text)
    if lang == "de":
        text = _DE_DAY_RANGE.sub(_de_day_range, text)
        text = _DE_DATE.sub(_de_date, text)
    text = _fractions(text, lang, spec["units"], lambda name: _eu_singular(name, lang))
    if lang in ("fr", "es"):
        text = re.sub(r"(?<![\d/.])(0?[1-9]|[12]\d|3[01])/(0?[1-9]|1[0-2])(?:/(\d{4}|\d{2}))?(?![\d/])",
                      lambda m: _eu_slash_date(m, lang), text)
    text = _versions(text, lang)
    text = _scores(text, lang)  # before ranges: "3–1" is a result, "1–3" a range
    text = re.sub(r"(?<=\d)\s*[~～〜–—]\s*(?=\d)", spec["range"], text)
    text = _hyphen_ranges(text, spec["range"], spec["decimal"])
    # Times: "14:35 Uhr", "15:00 horas", "15 h 30", "15h".
    if lang == "fr":
        # "24 h/24", "7j/7": round the clock, every day
        text = re.sub(r"(?<![\d,])(\d+)\s?([hj])\s?/\s?(\d+)(?![\d,])",
                      lambda m: f"{m.group(1)} {'heures' if m.group(2) == 'h' else 'jours'} sur {m.group(3)}", text)
        # "9h-17h", "9 h – 17 h 30": a range of hours
        text = re.sub(r"(?<![\d:])(\d{1,2}\s?h(?:\s?[0-5]\d)?)\s?[-–—]\s?(?=\d{1,2}\s?h\b)", r"\1 à ", text)
        text = re.sub(r"(?<![\d:])([01]?\d|2[0-3])\s?h(?:\s?([0-5]\d))?\b", lambda m: _eu_time(m, lang), text)
    hour_word = spec["hour"] + ("|h" if lang == "es" else "")  # "a las 15:00 h"
    text = re.sub(rf"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?:\s?(?:{hour_word})\b)?",
                  lambda m: _eu_time(m, lang) + (f" {spec['hour']}" if lang == "es" and m.group(2) == "00"
                                                 and int(m.group(1)) != 1 else ""),
                  text)
    return text


def _es_hour_symbol(m: re.Match) -> str:
    """The "h" after "las 21:00 h" is "horas", said after a time on the hour or of the 24-hour clock ("las
    veintiuna horas", "las quince treinta horas"); after "las nueve y media" it is not said."""
    if not m.group(4):
        return ""
    said = (m.group(3) == "00" and int(m.group(2)) != 1) or int(m.group(2)) > 12  # ("la una", no "horas")
    return (" horas" if said else "") + ("." if m.group(4).endswith(".") and re.match(r"\s*$|\s+[A-ZÁÉÍÓÚ]", m.string[m.end():]) else "")


# "de 9:00 a 14:00 (horas)": a range of times in Spanish, said with the hour word once, at its end.
_ES_TIME_RANGE = re.compile(r"\b(de|desde)\s+(las?\s+)?([01]?\d|2[0-3])[:.]([0-5]\d)\s+(a|hasta)\s+(las?\s+)?"
                            r"([01]?\d|2[0-3])[:.]([0-5]\d)(?![\d:])(\s?(?:horas|h)\b)?")


def _es_time_range(m: re.Match) -> str:
    """"de nueve a catorce horas": "horas" where it is written or both times are on the hour."""
    first, second = (_eu_time(re.match(r"(\d+):(\d+)", f"{h}:{mm}"), "es") for h, mm in (m.group(3, 4), m.group(7, 8)))
    on_the_hour = m.group(4) == m.group(8) == "00"
    return (f"{m.group(1)} {m.group(2) or ''}{first} {m.group(5)} {m.group(6) or ''}{second}"
            + (" horas" if m.group(9) or on_the_hour else ""))


def _eu_per_unit(text: str, lang: str) -> str:
    """The unit after the slash of a price or of another unit, "25 €/m²", "0,25 €/kWh", "20 l/m²": the word for per
    and the unit's singular name ("par mètre carré", "pro Kilowattstunde", "litros por metro cuadrado"); so a
    symbol after that word ("pro m²"). A unit written with its slash ("km/h", "MB/s") is left whole."""
    table = _EUROPEAN[lang]["units"]
    units = "|".join(sorted(map(re.escape, table), key=len, reverse=True))
    # (not before an apostrophe or a hyphen: "par l'avion" is not a litre)
    unit = rf"({units})(?![\w'’-])"
    per = _PER[lang]
    text = re.sub(rf"((?:\b(?:{_EU_CURRENCY_WORDS[lang]}|{_EU_CENTS[lang]})|[€$£]))\s?/\s?(?={unit})", rf"\1 {per} ", text)
    text = re.sub(rf"(\d\s?)({units})\s?/\s?{unit}", lambda m: m.group() if f"{m.group(2)}/{m.group(3)}" in table
                  else f"{m.group(1)}{m.group(2)} {per} {m.group(3)}", text)
    return re.sub(rf"\b{per}\s+{unit}", lambda m: f"{per} {_eu_singular(_EUROPEAN[lang]['units'][m.group(1)], lang)}", text)


def _eu_money_and_ordinals(text: str, lang: str) -> str:
    spec, number = _EUROPEAN[lang], _eu_number_pattern(lang)
    text = _eu_per_unit(text, lang)  # (before the money: "3,50 €/kg" has its cents between the € and the slash)
    # Money: "89,90 €", "€ 10", "2,5 Mio. €".
    text = re.sub(rf"(?P<amount>{number})\s?(?P<symbol>[€$£])", lambda m: _eu_money(m, lang), text)
    # an amount with cents before the currency's name is said as money too: "4,99 Euro" vier Euro neunundneunzig
    text = re.sub(rf"(?P<amount>\d+(?:[.\s]\d{{3}})*,\d\d)\s(?P<word>{_EU_CURRENCY_WORDS[lang]})\b",
                  lambda m: _eu_money({"amount": m.group("amount"), "symbol": _EU_CURRENCY_WORD_SYMBOL[
                      m.group("word").lower().rstrip("s")]}, lang), text)
    text = re.sub(rf"(?P<symbol>[€$£])\s?(?P<amount>{number})", lambda m: _eu_money(m, lang), text)
    text = re.sub(r"(?<=[a-z]) ([€$£])", lambda m: " " + spec["currency"][m.group(1)][1], text)
    if lang == "fr":  # "3 milliards €" trois milliards d'euros
        text = re.sub(r"\b(millions?|milliards?) (euros|dollars|livres)\b",
                      lambda m: f"{m.group(1)} {'d’' if m.group(2)[0] in 'e' else 'de '}{m.group(2)}".replace("’", "'"), text)
    text = _per(text, lang)
    # Ordinals: "12. Mai" (de, dative after am/vom/zum), "21e" / "1er" (fr), "2.º" / "1.ª" (es).
    if lang == "de":
        # (and before "bis" and the other day: "vom 12. bis 14. Juni")
        text = re.sub(r"(\b\w+[,;]?\s+|^)(\d{1,2})\.(?=\s+[A-ZÄÖÜ]|\s+bis\s+(?:zum\s+)?(?:\d{1,2}\.|\w+ten)\s+[A-ZÄÖÜ])",
                      lambda m: m.group(1) + _de_day_ordinal(m), text)
    elif lang == "fr":
        text = re.sub(r"\b(\d+)(er|re|ère|ere|nde?|de?|e|ème|è)(s?)\b", _fr_ordinal, text)
    else:
        text = re.sub(r"\b(\d+)\.?(?:([ºª])|(er)\b|(era)\b)", _es_ordinal, text)
    if lang == "es":  # "la 1", "a la 1 de la tarde": the hour is feminine
        text = re.sub(r"\b([Ll]a)\s+1(?![\d.,:])", r"\1 una", text)
    # Negative numbers: "-7 °C" minus sieben, moins sept, menos siete.
    text = re.sub(r"(?<![\w.,\-−/])[-−](?=\d)", _MINUS_WORD[lang], text)
    return text


def _eu_units_and_numbers(text: str, lang: str) -> str:
    spec, number = _EUROPEAN[lang], _eu_number_pattern(lang)
    units = "|".join(sorted(map(re.escape, spec["units"]), key=len, reverse=True))

    def unit(m: re.Match) -> str:
        name = spec["units"][m.group(2)]
        if m.group(1) != "1":
            return f"{_eu_agree(_eu_number(m.group(1), lang), name.split(' ')[0], lang)} {name}"
        name = _eu_singular(name, lang)
        head = re.split(r"[ -]", name)[0]  # the noun a compound's gender is that of ("un milliampère-heure")
        return f"{_eu_agree(_eu_number('1', lang), head, lang, m.string[:m.start()])} {name}"

    if lang == "de":  # "ein 5-kg-Sack", "die 10-Liter-Flasche": the number and unit in a compound
        # The first part of a compound is uninflected, and one is "ein": "1-TB-SSD", "1-Zimmer-Wohnung";
        # not a name's number ("Formel-1-Rennen", "Typ 1-Diabetes": eins) nor "1-zu-1"
        text = re.sub(rf"(?<![\w.,])({number})-({units})-(?=\w)",
                      lambda m: f"{'ein' if m.group(1) == '1' else _eu_number(m.group(1), lang)}-"
                                f"{spec['units'][m.group(2)]}-", text)
        text = re.sub(r"(?<![\w.,\-])1-(?!zu\b)(?=[^\W\d_])", lambda m: m.group() if re.search(
            rf"\b(?:{_EU_LABELS['de']}|{_ROMAN_COUNTED['de']}|Typ|Platz|Level|Kategorie|Runde|Version)\s+$",
            m.string[:m.start()]) else "ein-", text)
    text = _dimensions(text, lang, number, units)
    # (a full stop after a symbol before a lower-case word abbreviates it, "45 min. de cuisson": not said; a
    # letter before an apostrophe is an elided word, never a unit: "2024 s'est", "en 2024 l'équipe")
    text = re.sub(rf"({number})\s?({units})(?![\w'’])(?:\.(?=\s+[a-zß-ÿ]))?", unit, text)
    text = _split_codes(text)
    text = re.sub(rf"({number})(?=(\s+[^\W\d_]+)?)", lambda m: _eu_free_number(m, lang), text)
    return text.replace("&", {"de": " und ", "fr": " et ", "es": " y "}[lang])


# The words that name a vehicle, line, room or page by its number ("le TGV 6201", "la ligne 1", "el vuelo 3121",
# "Gleis 1"), and spelled or said codes ("T G V", "AVE"): the number after them is a label, read as is.
_EU_LABELS = {"de": r"Flug|Bus|Linie|Zug|Nummer|Gleis|Bahnsteig|Tram|Straßenbahn|Zimmer|Raum|Seite|Terminal|Tor",
              "fr": r"vol|bus|ligne|train|numéro|tram|tramway|métro|car|quai|voie|porte|chambre|salle|page|terminal",
              "es": r"vuelo|autobús|bus|línea|tren|número|andén|vía|puerta|habitación|sala|página|terminal"}


# The types of street a French house number comes before ("au 1 place du Capitole" un, not "une place").
_FR_STREET_TYPES = frozenset("rue place avenue boulevard allée impasse chemin quai route cours square passage".split())


def _eu_free_number(m: re.Match, lang: str) -> str:
    """A number left after the other rules, agreeing with the word after it ("une heure", "una persona"), but
    for a year ("en 2021 crecieron", "en 2021 elle"), a label's number ("le TGV 6201 part", not "une part")
    and a house number ("au 1 place Bellecour")."""
    words = _eu_number(m.group(1), lang)
    label = re.search(rf"(?:(?i:\b(?:{_EU_LABELS[lang]}))|\b[A-Z](?: [A-Z])+|\b[A-Z]{{2,6}})\s+$", m.string[:m.start()])
    # (a street's type then its name: "21 places de parking" are counted)
    street = lang == "fr" and (m.group(2) or "").strip().lower() in _FR_STREET_TYPES \
        and re.match(r"\s+\w+\s+(?:[A-ZÀ-Ý]|d[eu]\s+[A-ZÀ-Ý]|de la\s|des\s|d['’])", m.string[m.end():])
    year = re.fullmatch(r"1\d{3}|20\d\d", m.group(1))
    naming = year or label or re.search(r"\bann[ée]es\s+$", m.string[:m.start()])
    if lang == "fr" and naming and not re.match(r"\s+[^\W\d_]{2,}[sx]\b", m.string[m.end():]):
        # a number that names (a year, "les années 80", "page 80") does not take the plural s:
        # "mille neuf cent quatre-vingt", "page deux cent"; a count before its plural noun does
        # ("mille deux cents habitants", "car deux cents personnes")
        words = re.sub(r"\b(quatre-vingt|cent)s$", r"\1", words)
    if label or street or year:
        return words
    return _eu_agree(words, (m.group(2) or "").strip(), lang, m.string[:m.start()])


# French ordinal endings (the Imprimerie nationale's and the common ones): "1er"/"1re"/"1ère" premier/première,
# "2d"/"2nd" second and "2de"/"2nde" seconde ("en 2de classe"), "3e"/"3ème" troisième; a final s makes the plural.
_FR_FIRST = {"er": "premier", "re": "première", "ère": "première", "ere": "première"}


def _fr_ordinal(m: re.Match) -> str:
    value, ending, plural = int(m.group(1)), m.group(2), m.group(3)
    if ending in _FR_FIRST:
        return _FR_FIRST[ending] + plural if value == 1 else m.group()
    if ending.startswith(("d", "n")):
        if value != 2:
            return m.group()
        return ("seconde" if ending.endswith("e") else "second") + plural
    return _words(value, "fr", to="ordinal") + plural


def _de_day_ordinal(m: re.Match) -> str:
    """"12." before a noun, with the ending the word before it asks for; after a weekday's comma with
    the article of the date's case ("am Montag, dem dritten März")."""
    article = _de_weekday_article(m.group(1), m.string[:m.start()])
    if article is not None:
        return f"{article}{_words(int(m.group(2)), 'de', to='ordinal')}n"
    noun = re.match(r"\s+([A-ZÄÖÜ]\w*)", m.string[m.end():])
    return _de_ordinal(int(m.group(2)), m.group(1).rstrip(",; "), m.string[:m.start()], noun.group(1) if noun else "")


_EU_PASSES = (_eu_words, _eu_times_and_dates, _eu_money_and_ordinals, _eu_units_and_numbers)


def _european(text: str, lang: str) -> str:
    """The passes in order: words and abbreviations (their full stops would read as decimals), then
    times, dates, fractions and ranges, money and ordinals, units and the numbers left."""
    for step in _EU_PASSES:
        text = step(text, lang)
    return text


def _german(text: str) -> str:
    return _european(text, "de")


def _french(text: str) -> str:
    return _european(text, "fr")


def _spanish(text: str) -> str:
    return _european(text, "es")
