"""German, French and Spanish: the per-language tables (abbreviations, units, currency) and the words
of numbers, phone numbers, money, times, ordinals, days and months they share."""

from __future__ import annotations

import re

from batchvideo_media.normalize.common import _fuel_consumption, _watt_hours, _words
from batchvideo_media.normalize.latin import (
    _DE_DATIVE,
    _LATIN_WORD_ACRONYMS,
    _de_gender,
    _es_feminine,
    _fr_feminine,
)

# Prepositions after which "Jahre" takes the dative's n ("ab sechs Jahren", "Kinder unter 3 J.", "seit 2 J."), and
# the end of a range they open ("von 3 bis 6 J." von drei bis sechs Jahren).
_DE_YEARS_DATIVE = re.compile(r"\b(?:ab|mit|von|seit|nach|vor|unter|bei|zu|aus)\s+\d{1,3}\s+$"
                              r"|\b(?:ab|von)\s+\d{1,3}(?:\s+J\.)?\s+bis\s+\d{1,3}\s+$", re.IGNORECASE)


def _de_years(m: re.Match) -> str:
    """"J." after a number: "Jahren" after a preposition that takes the dative, "Jahre" otherwise."""
    return "Jahren" if _DE_YEARS_DATIVE.search(m.string[:m.start()]) else "Jahre"


_DE_FLOORS = {"EG": "Erdgeschoss", "OG": "Obergeschoss", "UG": "Untergeschoss", "DG": "Dachgeschoss"}
_EUROPEAN = {
    "de": {
        "abbreviations": [(r"\bDr\.", "Doktor"), (r"\bProf\.", "Professor"), (r"\bz\.\s?B\.", "zum Beispiel"),
                          (r"\bca\.", "circa"), (r"\bNr\.", "Nummer"), (r"\busw\.", "und so weiter"),
                          (r"\bbzw\.", "beziehungsweise"), (r"\bd\.\s?h\.", "das heißt"), (r"\bu\.\s?a\.", "unter anderem"),
                          (r"\bSt\.", "Sankt"), (r"\bMio\.", "Millionen"), (r"\bMrd\.", "Milliarden"),
                          # "Str." and the end of a compound, "Hauptstr.": the full stop stays at the end
                          (r"\bStr\.(?=\s*$)", "Straße."), (r"\bStr\.", "Straße"),
                          (r"(?<=[a-zäöüß])str\.(?=\s*$)", "straße."), (r"(?<=[a-zäöüß])str\.", "straße"),
                          (r"\bTel\.", "Telefon"), (r"\bHr\.", "Herr"), (r"\bFr\.", "Frau"),
                          (r"\bggf\.", "gegebenenfalls"), (r"\bevtl\.", "eventuell"), (r"\binkl\.", "inklusive"),
                          (r"\bzzgl\.", "zuzüglich"), (r"\bvgl\.", "vergleiche"), (r"\bv\.\s?a\.", "vor allem"),
                          (r"\bo\.\s?Ä\.", "oder Ähnliches"), (r"\bJh\.", "Jahrhundert"), (r"\bHbf\.?(?!\w)", "Hauptbahnhof"),
                          (r"\bAbb\.", "Abbildung"), (r"\bS\.(?=\s?\d)", "Seite"), (r"\bBd\.(?=\s?\d)", "Band"),
                          (r"\bKap\.(?=\s?\d)", "Kapitel"), (r"\bTsd\.", "Tausend"), (r"\bgeb\.", "geboren"),
                          (r"\bBsp\.", "Beispiel"), (r"\bKW\s?(?=\d)", "Kalenderwoche "), (r"\berm\.", "ermäßigt"),
                          (r"(?<![\d,])(?<=1 )J\.", "Jahr"), (r"(?<=\d )J\.", _de_years),
                          # a unit before a number is a marker or a reference: "bei km 12", "Abs. 2", "Art. 5"
                          (r"(?<![\d,.])(?<![\d,.]\s)\bkm(?=\s?\d)", "Kilometer"), (r"\bAbs\.(?=\s?\d)", "Absatz"),
                          (r"\bArt\.(?=\s?\d)", "Artikel"), (r"\bZiff\.(?=\s?\d)", "Ziffer"), (r"\bt(?:ä)?gl\.", "täglich"), (r"\bmtl\.", "monatlich"),
                          (r"\bwöch(?:entl)?\.", "wöchentlich"), (r"\bjährl\.", "jährlich"), (r"\bmind\.", "mindestens"), (r"\bmax\.", "maximal"),
                          (r"\bv\.\s?Chr\.", "vor Christus"), (r"\bn\.\s?Chr\.", "nach Christus"),
                          (r"\bi\.\s?d\.\s?R\.", "in der Regel"), (r"\bz\.\s?T\.", "zum Teil"),
                          (r"\bo\.\s?g\.", "oben genannt"), (r"\bu\.\s?U\.", "unter Umständen"),
                          # floors after an ordinal or a preposition ("im 3. OG", "im EG"): not the EG of Brussels
                          (r"(?:(?<=\d\.\s)|(?<=\d\.)|(?<=\b[iI]m )|(?<=\b[iI]ns )|(?<=\b[vV]om )|(?<=\b[zZ]um )|(?<=\bdem ))"
                           r"(EG|OG|UG|DG)\b", lambda m: _DE_FLOORS[m.group(1)])],
        "units": {"km": "Kilometer", "m": "Meter", "cm": "Zentimeter", "kg": "Kilogramm", "g": "Gramm",
                  "km/h": "Kilometer pro Stunde", "W": "Watt", "kW": "Kilowatt", "PS": "P S",
                  "GHz": "Gigahertz", "GB": "Gigabyte", "l": "Liter", "°C": "Grad Celsius", "%": "Prozent",
                  "Mio.": "Millionen", "m²": "Quadratmeter", "qm": "Quadratmeter", "km²": "Quadratkilometer",
                  "m³": "Kubikmeter", "mm": "Millimeter", "ml": "Milliliter", "dl": "Deziliter", "mg": "Milligramm",
                  "t": "Tonnen", "h": "Stunden", "Std.": "Stunden", "Std": "Stunden", "Min.": "Minuten",
                  "min": "Minuten", "Sek.": "Sekunden", "mph": "Meilen pro Stunde", "MB": "Megabyte",
                  "TB": "Terabyte", "kB": "Kilobyte", "Mbit/s": "Megabit pro Sekunde", "Mbps": "Megabit pro Sekunde",
                  "Gbit/s": "Gigabit pro Sekunde", "MB/s": "Megabyte pro Sekunde", "kcal": "Kilokalorien",
                  "kJ": "Kilojoule", "MW": "Megawatt", "V": "Volt", "Hz": "Hertz", "MHz": "Megahertz",
                  "mAh": "Milliamperestunden", "ha": "Hektar", "°F": "Grad Fahrenheit", "°": "Grad",
                  "EL": "Esslöffel", "TL": "Teelöffel", "Mrd.": "Milliarden", "L": "Liter", "s": "Sekunden",
                  "ms": "Millisekunden"},
        "singular": {"Stunden": "Stunde", "Minuten": "Minute", "Sekunden": "Sekunde", "Tonnen": "Tonne",
                     "Kilokalorien": "Kilokalorie",
                     "Milliamperestunden": "Milliamperestunde", "Millionen": "Million", "Milliarden": "Milliarde",
                     "Meilen pro Stunde": "Meile pro Stunde"},
        "currency": {"€": ("Euro", "Euro", ""), "$": ("Dollar", "Dollar", ""), "£": ("Pfund", "Pfund", "")},
        "range": " bis ", "hour": "Uhr", "decimal": ",", "thousands": ".",
    },
    # km/h is "kilomètres par heure": the unit's own name, which the Académie française gives with "à
    # l'heure" as correct (not "kilomètres-heure", a product of units); "à l'heure" is as common in speech.
    "fr": {
        "abbreviations": [(r"\bM\.(?=\s+[A-Z])", "Monsieur"), (r"\bMme\b\.?", "Madame"), (r"\bMlle\b\.?", "Mademoiselle"),
                          (r"\bDr\b\.?", "Docteur"), (r"\betc\.", "et cetera"), (r"\bn°\s?", "numéro "),
                          (r"\bSt\b\.?(?=-)", "Saint"), (r"\bSte\b\.?(?=-)", "Sainte"), (r"\bav\.", "avenue"), (r"\b[Tt]él\.", "téléphone"),
                          (r"\bbd\b\.?", "boulevard"), (r"\benv\.", "environ"), (r"\bMM\.(?=\s+[A-Z])", "Messieurs"),
                          (r"\bp\.(?=\s?\d)", "page"), (r"\bc\.-à-d\.", "c'est-à-dire"), (r"\bcf\.", "confer"),
                          (r"\bav\.\s?J\.-C\.", "avant Jésus-Christ"), (r"\bapr\.\s?J\.-C\.", "après Jésus-Christ"),
                          (r"\bhab\.", "habitants"), (r"\bMe(?=\s+[A-Z])", "Maître"), (r"\bPr(?=\s+[A-Z])", "Professeur"),
                          (r"\bjanv\.", "janvier"), (r"\bfévr\.", "février"), (r"\bavr\.", "avril"),
                          (r"\bjuil\.", "juillet"), (r"\bsept\.(?=\s?\d)", "septembre"), (r"\boct\.", "octobre"),
                          (r"\bnov\.", "novembre"), (r"\bdéc\.", "décembre"), (r"\bCie\b", "compagnie"),
                          (r"\bmax\.", "maximum"), (r"(?<!\d)(?<!\d )\bmin\.(?=\s)", "minimum"), (r"\bchap\.", "chapitre"),
                          (r"\bc\.\s?à\s?s(?:oupe|\.)", "cuillères à soupe"), (r"\bc\.\s?à\s?c(?:afé|\.)", "cuillères à café"), (r"\bapprox\.", "approximativement"),
                          (r"\bp\.\s?ex\.", "par exemple"),
                          # "s." after a century ("XVIe s.", "19e s."): siècle; a full stop that ends the sentence stays
                          (r"\b([IVXLC]{1,6}(?:e|er|ème)|\d{1,2}(?:e|er)) s\.(?=\s*$)", r"\1 siècle."),
                          (r"\b([IVXLC]{1,6}(?:e|er|ème)|\d{1,2}(?:e|er)) s\.(?!\w)", r"\1 siècle")],
        "units": {"km": "kilomètres", "m": "mètres", "cm": "centimètres", "kg": "kilogrammes", "g": "grammes",
                  "km/h": "kilomètres par heure", "W": "watts", "kW": "kilowatts", "ch": "chevaux",
                  "GHz": "gigahertz", "Go": "gigaoctets", "l": "litres", "°C": "degrés Celsius", "%": "pour cent",
                  "m²": "mètres carrés", "km²": "kilomètres carrés", "m³": "mètres cubes", "mm": "millimètres",
                  "ml": "millilitres", "cl": "centilitres", "dl": "décilitres", "mg": "milligrammes", "t": "tonnes",
                  "min": "minutes", "mph": "miles par heure", "Mo": "mégaoctets", "To": "téraoctets",
                  "Ko": "kilooctets", "Mbit/s": "mégabits par seconde", "Mb/s": "mégabits par seconde",
                  "Gbit/s": "gigabits par seconde", "Mo/s": "mégaoctets par seconde", "kcal": "kilocalories",
                  "cal": "calories", "MW": "mégawatts", "V": "volts", "Hz": "hertz", "MHz": "mégahertz",
                  "mAh": "milliampères-heures", "ha": "hectares", "°F": "degrés Fahrenheit", "°": "degrés",
                  "GB": "gigaoctets", "MB": "mégaoctets", "L": "litres", "h": "heures", "s": "secondes",
                  "ms": "millisecondes"},
        "singular": {},
        "currency": {"€": ("euro", "euros", ""), "$": ("dollar", "dollars", ""), "£": ("livre", "livres", "")},
        "range": " à ", "hour": "heures", "decimal": ",", "thousands": " ",
    },
    "es": {
        "abbreviations": [(r"\bSr\.", "señor"), (r"\bSra\.", "señora"), (r"\bSrta\.", "señorita"), (r"\bDr\.", "doctor"),
                          (r"\bDra\.", "doctora"), (r"\betc\.", "etcétera"), (r"\bUd\.", "usted"),
                          (r"\bUds\.", "ustedes"), (r"\bEE\.\s?UU\.", "Estados Unidos"), (r"\bnúm\.", "número"),
                          (r"\bn\.º\s?", "número "), (r"\bpág\.", "página"), (r"\bAvda\.", "avenida"),
                          (r"\b[Aa]prox\.", lambda m: m.group()[0] + "proximadamente"), (r"\bDña\.", "doña"),
                          (r"\bD\.ª", "doña"), (r"\bD\.(?=\s+[A-ZÁÉÍÓÚ][a-záéíóúñ])", "don"), (r"\bSres\.", "señores"),
                          (r"\bp\.\s?ej\.", "por ejemplo"), (r"\bS\.\s?A\.", "sociedad anónima"), (r"\bC/\s?", "calle "), (r"\bC\.\s?P\.(?=\s?\d)", "código postal"),
                          (r"\bPza\.", "plaza"), (r"\b[Tt]el\.", "teléfono"), (r"\btlf\.", "teléfono"),
                          (r"\bmáx\.", "máximo"), (r"\bmín\.", "mínimo"), (r"\bizq(?:da)?\.", "izquierda"),
                          (r"\bdcha\.", "derecha"), (r"\bprov\.", "provincia"), (r"\bEdo\.", "estado"),
                          (r"\bsept?\.", "septiembre"), (r"\bene\.", "enero"), (r"\bfeb\.", "febrero"),
                          (r"\bdic\.", "diciembre"), (r"\bExcmo\.", "excelentísimo"), (r"\bCía\.", "compañía"),
                          (r"\ba\.\s?C\.", "antes de Cristo"), (r"\bd\.\s?C\.", "después de Cristo"),
                          (r"\bSto\.", "santo"), (r"\bSta\.", "santa"), (r"\bIng\.", "ingeniero"),
                          (r"\bLic\.", "licenciado"), (r"\bGral\.", "general"), (r"\bPdte\.", "presidente"),
                          # "s. XII", "ss. XV-XVI": siglo before a Roman numeral
                          (r"\bss\.\s?(?=[IVXLC]+\b)", "siglos "), (r"\bs\.\s?(?=[IVXLC]+\b)", "siglo ")],
        "units": {"km": "kilómetros", "m": "metros", "cm": "centímetros", "kg": "kilos", "g": "gramos",
                  "km/h": "kilómetros por hora", "W": "vatios", "kW": "kilovatios", "CV": "caballos",
                  "GHz": "gigahercios", "GB": "gigas", "l": "litros", "°C": "grados", "%": "por ciento",
                  "m²": "metros cuadrados", "km²": "kilómetros cuadrados", "m³": "metros cúbicos", "mm": "milímetros",
                  "ml": "mililitros", "cl": "centilitros", "mg": "miligramos", "t": "toneladas", "h": "horas",
                  "min": "minutos", "mph": "millas por hora", "MB": "megas", "TB": "teras",
                  "Mbps": "megabits por segundo", "Mb/s": "megabits por segundo", "Gbps": "gigabits por segundo",
                  "kcal": "kilocalorías", "cal": "calorías", "MW": "megavatios", "V": "voltios", "Hz": "hercios",
                  "MHz": "megahercios", "mAh": "miliamperios hora", "ha": "hectáreas", "°F": "grados Fahrenheit",
                  "°": "grados", "cdas.": "cucharadas", "cda.": "cucharadas", "cdtas.": "cucharaditas",
                  "cdta.": "cucharaditas", "L": "litros", "s": "segundos", "ms": "milisegundos"},
        "singular": {},
        "currency": {"€": ("euro", "euros", "con"), "$": ("dólar", "dólares", "con"), "£": ("libra", "libras", "con")},
        "range": " a ", "hour": "horas", "decimal": ",", "thousands": ".",
    },
}
for _lang, _prefixes, _unit in (("de", "Kilo Mega Giga Tera", "Wattstunden"), ("fr", "kilo méga giga téra", "wattheures"),
                                ("es", "kilo mega giga tera", "vatios hora")):
    _EUROPEAN[_lang]["units"].update(_watt_hours(_prefixes, _unit))
for _lang, _name in (("de", "Liter auf hundert Kilometer"), ("fr", "litres aux cent kilomètres"),
                     ("es", "litros a los cien kilómetros")):
    _EUROPEAN[_lang]["units"].update(_fuel_consumption(_name))
# one kilowatt-hour: "eine Kilowattstunde"
_EUROPEAN["de"]["singular"].update({name: name[:-1] for name in _watt_hours("Kilo Mega Giga Tera", "Wattstunden").values()})
_NBSP = "\u00a0\u202f"


def _eu_singular(name: str, lang: str) -> str:
    """A unit's name for one: "Stunde", "kilomètre", "metro cuadrado", "kilovatio hora" (the first two words
    lose their plural s, but for the names that end in s in the singular)."""
    if lang == "de":
        return _EUROPEAN["de"]["singular"].get(name, name)
    if lang == "fr" and "-" in name:  # both parts of a compound agree: "milliampères-heures", "milliampère-heure"
        return "-".join(part.removesuffix("s") for part in name.split("-"))
    return " ".join(w[:-1] if w.endswith("s") and w not in ("Celsius", "hertz", "gigahertz") and i < 2
                    and not (lang == "fr" and w in ("tiers",)) else w
                    for i, w in enumerate(name.split(" ")))


def _eu_number(number: str, lang: str, year: bool = True) -> str:
    """A number written the language's way ("1.234,5" in de/es, "1 234,5" in fr) in words."""
    spec = _EUROPEAN[lang]
    grouped = number
    number = re.sub(rf"(?<=\d)[{re.escape(spec['thousands'])}{_NBSP}](?=\d{{3}}(?!\d))", "", number)
    whole, _, fraction = number.partition(spec["decimal"])
    if not fraction:
        value = int(whole)
        # a year in German is said in hundreds ("neunzehnhundert…"); "1.234 Euro" is not a year
        year = year and lang == "de" and 1100 <= value < 2000 and grouped == number
        words = _words(value, lang, to="year") if year else _words(value, lang)
        # "hundertdreißig", "tausendfünfhundert": German drops the "ein" num2words writes
        return re.sub(r"^ein(?=hundert|tausend)", "", words) if lang == "de" else words
    comma = {"de": "Komma", "fr": "virgule", "es": "coma"}[lang]
    # German reads decimals digit by digit ("Komma neun null"); French and Spanish as a number
    tail = (" ".join(_words(int(d), lang) for d in fraction) if lang == "de" or fraction.startswith("0")
            else _words(int(fraction), lang))
    return f"{_words(int(whole), lang)} {comma} {tail}"


# French numbers are written in pairs, with the trunk prefix 0 or the country code +33:
# "01 23 45 67 89", "+33 6 12 34 56 78".
_FR_PHONE = re.compile(r"(?<![\d,+])(?:\+33\s?[1-9]|0[1-9])(?:[\s.\u00a0-]\d\d){4}(?![\d,])")


# German numbers start with the trunk prefix 0 (or +49) and come in groups: "0800 123 456",
# "030 1234567", "(089) 12 34 56", "+49 30 1234567".
_DE_PHONE = re.compile(r"(?<![\d,.+])(?:\+\d{1,3}\s?(?:\(0\)\s?)?\d{1,5}|\(0\d{1,5}\)|0\d{1,5})(?:[\s/-]\d{2,}|\s\d(?=\s\d{2,})){1,5}(?![\d,])")


# Spanish numbers: nine digits from 6, 7, 8 or 9, in threes or 3-2-2-2 ("900 123 456", "+34 612 34 56 78").
_ES_PHONE = re.compile(r"(?<![\d,.+])(?:\+34\s?)?(?:[6-9]\d\d(?:\s\d{3}\s\d{3}|\s\d\d\s\d\d\s\d\d)|[89]\d\s\d{3}\s\d\d\s\d\d)(?![\d,])")


def _eu_phone(text: str, lang: str) -> str:
    """Phone numbers as they are said: in German digit by digit ("null acht null null, eins zwei
    drei, …"), in French pair by pair ("zéro un, vingt-trois, …"; a pair starting with 0 as two digits)."""
    def pair(group: str) -> str:
        if len(group) == 2 and group[0] == "0":
            return " ".join(_words(int(d), lang) for d in group)
        return _words(int(group), lang)

    if lang == "fr":  # "0 800 123 456": the groups as numbers ("zéro huit cents, cent vingt-trois, …")
        text = re.sub(r"(?<![\d,])0 [89]\d\d \d{3} \d{3}(?![\d,])",
                      lambda m: ", ".join(_words(int(g), lang) for g in m.group().split()), text)
        text = _FR_PHONE.sub(lambda m: ("plus " if m.group().startswith("+") else "")
                             + ", ".join(pair(g) for g in re.findall(r"\d+", m.group())), text)
    elif lang == "es":
        text = _ES_PHONE.sub(lambda m: ("más treinta y cuatro, " if m.group().startswith("+") else "") + ", ".join(
            " ".join(_words(int(d), lang) for d in group) for group in re.findall(r"\d+", m.group().removeprefix("+34"))), text)
    elif lang == "de":
        text = _DE_PHONE.sub(lambda m: ("plus " if m.group().startswith("+") else "") + ", ".join(
            " ".join(_words(int(d), lang) for d in group) for group in re.findall(r"\d+", m.group())), text)
    return text


# A postal code: five digits (never grouped, where a quantity this large takes a separator: 10.115, 10 115)
# before a place's name that ends the clause ("10115 Berlin.", "75008 Paris,", "60311 Frankfurt am Main"),
# after a comma, a preposition of place or the words for postal code, or at the start of a line.
_EU_POSTAL = re.compile(r"(?:(?<=,\s)|(?<=^)|(?<=\n)|(?<=\b[Ii]n\s)|(?<=\bnach\s)|(?<=\bà\s)|(?<=\bPLZ\s)|(?<=\bCP\s)"
                        r"|(?<=C\.P\.\s)|(?<=postal\s)|(?<=[Pp]ostleitzahl\s))(\d{5})(?=\s+[A-ZÀ-ÖÙ-Ý][\w'’-]*"
                        r"(?:\s+(?:am|an der|im|sur|sous|en|de|del|la|le)\s+[A-ZÀ-ÖÙ-Ý][\w'’-]*)?(?:\s+Cedex)?\s*(?:[,.;:)!?]|$))")


def _eu_postal(text: str, lang: str) -> str:
    """German and Spanish say a postal code digit by digit ("eins null eins eins fünf Berlin"); French
    says the département as a number, then the rest as a number after its written zeros ("soixante-quinze
    zéro seize Paris", "soixante-quinze zéro zéro huit", "trente et un quatre cents Toulouse"), a city's
    main code as one number ("trente et un mille")."""
    def say(m: re.Match) -> str:
        code = m.group(1)
        if lang != "fr" and code.endswith("000"):
            return code  # a round quantity written without its separator ("in 15000 Orten"), not a code
        if lang != "fr":
            return " ".join(_words(int(d), lang) for d in code)
        if code.endswith("000"):  # a city's main code, "31000" trente et un mille
            return _words(int(code), lang)
        rest = code[2:]
        zeros = len(rest) - len(rest.lstrip("0"))
        return " ".join([_words(int(code[:2]), lang)] + ["zéro"] * zeros + [_words(int(rest[zeros:]), lang)])

    return _EU_POSTAL.sub(say, text)


_EU_CURRENCY_WORDS = {"de": "Euro|Dollar|Pfund", "fr": "euros?|dollars?|livres?", "es": "euros?|dólares|dólar|libras?"}
_EU_CURRENCY_WORD_SYMBOL = {"euro": "€", "dollar": "$", "pfund": "£", "livre": "£", "dólar": "$", "dólare": "$",
                            "libra": "£"}
# The hundredth of each currency in Spanish, one and many: céntimo (euro), centavo (dollar), penique (pound).
_ES_CENTS = {"€": ("céntimo", "céntimos"), "$": ("centavo", "centavos"), "£": ("penique", "peniques")}
_EU_CENTS = {"de": "Cent", "fr": "centimes", "es": "céntimos"}


def _eu_money(m: re.Match | dict, lang: str) -> str:
    amount, symbol = m["amount"], m["symbol"]
    one, many, joiner = _EUROPEAN[lang]["currency"][symbol]
    whole, _, cents = re.sub(r"[.\s\u00a0\u202f](?=\d{3})", "", amount).partition(",")
    if int(whole) == 0 and cents and int(cents):  # "0,99 €" neunundneunzig Cent
        return f"{_words(int(cents.ljust(2, '0')[:2]), lang)} {_EU_CENTS[lang]}"
    noun = one if whole == '1' else many
    spoken = f"{_eu_agree(_eu_number(whole, lang, year=False), noun, lang)} {noun}"
    if cents and int(cents):
        value = int(cents.ljust(2, '0')[:2])
        spoken += f" {joiner + ' ' if joiner else ''}{_words(value, lang)}"
        if lang == "es":  # "doce euros con cincuenta céntimos": Spanish names the cents after "con"
            name = _ES_CENTS[symbol][value != 1]
            spoken = spoken.removesuffix(_words(value, lang)) + f"{_eu_agree(_words(value, lang), name, lang)} {name}"
    return spoken


def _eu_time(m: re.Match, lang: str) -> str:
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if lang == "es":
        words = _words(hour, lang).replace("uno", "una")
        if minute == 0:
            return words
        if hour > 12:  # the 24-hour clock of timetables: "las catorce treinta y cinco"
            return f"{words} {_words(minute, lang)}"
        extra = {15: "y cuarto", 30: "y media"}.get(minute, f"y {_words(minute, lang)}")
        return f"{words} {extra}"
    noun = _EUROPEAN[lang]["hour"] if lang == "de" or hour != 1 else "heure"
    # (the hour is feminine in French: "une heure", "vingt et une heures")
    spoken = f"{_eu_agree(_words(hour, lang), noun, lang) if lang == 'fr' else _words(hour, lang)} {noun}"
    return spoken + (f" {_words(minute, lang)}" if minute else "")


# Words after which a masculine ordinal stands alone ("el 1.º de mayo", "el 3.º llegó"): before
# anything else it stands before its noun and is apocopated ("1.º piso" primer piso).
_ES_NOT_NOUN = set("de del y e o u a al en con por para que como es son fue fueron será era ha han".split()
                   # a flat's side after its floor: "3.º izq." tercero izquierda
                   + "izquierda derecha izda izq dcha centro".split())


def _es_ordinal(m: re.Match) -> str:
    word = _words(int(m.group(1)), "es", to="ordinal")  # masculine: "primero", "vigésimo tercero"
    if m.group(2) == "ª" or m.group(4):
        return re.sub(r"o\b", "a", word)  # every part agrees: "décima tercera"
    following = re.match(r"\s+([^\W\d_]+)", m.string[m.end():])
    if m.group(3) or (following and len(following.group(1)) > 1 and following.group(1).lower() not in _ES_NOT_NOUN):
        # apocope before a masculine singular noun: primero/tercero lose their -o ("tercer piso")
        word = re.sub(r"(primer|tercer)o$", r"\1", word)
    return word


# Short acronyms said as words, not spelled ("la ONU", "l'OTAN", "die UNO").
# The computing ones (RAM, ROM, PIN, SIM) are words in every one of these languages, as in English.
_EU_WORD_ACRONYMS = {"de": frozenset({"UNO", "DAX", "ESA", "GAU"}) | _LATIN_WORD_ACRONYMS,
                     "fr": frozenset({"ONU", "ENA", "CAF", "ESA", "PAC", "ZAD", "OPA", "CAC"}) | _LATIN_WORD_ACRONYMS,
                     "es": frozenset({"ONU", "IVA", "ETA", "AVE", "ESA", "UCI", "MIR"}) | _LATIN_WORD_ACRONYMS}
# Feminine nouns for "une"/"una": French by ending and the measure nouns (German's in latin.py).
_FR_FEMININE_ENDING = re.compile(r"(?:tion|sion|ée|té|ure|elle|ette|ance|ence|ise|aine)s?$")
# Common masculine nouns with those endings: "vingt et un invités", "un musée".
_FR_MASCULINE_EXCEPTIONS = frozenset("invité député comité côté été pâté traité musée lycée trophée murmure".split())
_FR_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
_ES_MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()


_EU_NOT_NOUNS = {"de": {"punkt", "komma", "zu", "bis", "mal"},
                 "fr": {"point", "virgule", "à", "et", "ou", "de", "du", "des", "sur", "pour", "par", "elle", "elles",
                        "il", "ils", "le", "la", "les", "en", "au", "aux", "qui", "que", "ce", "cette"},
                 "es": _ES_NOT_NOUN | {"punto", "coma", "menos", "más", "por", "sobre", "entre", "hasta"}}


# German prepositions before a count of one that take the dative ("mit einer Person", "nach einem Tag") or the
# accusative ("für einen Tag"); "in", "ab" and "vor" take the dative with a time ("in einer Stunde").
_DE_DATIVE_BEFORE_ONE = frozenset(_DE_DATIVE) | {"in", "ab", "vor", "binnen"}
_DE_ACCUSATIVE = frozenset({"für", "durch", "gegen", "ohne", "um"})


def _de_one(noun: str, before: str) -> str:
    """"eins" before a German noun: its article by the noun's gender and the preposition before it."""
    gender = _de_gender(noun)
    if noun == "Uhr":
        return "ein"  # a time: "um ein Uhr"
    previous = re.search(r"(\w+)\s*$", before)
    preposition = previous.group(1).lower() if previous else ""
    if preposition in _DE_DATIVE_BEFORE_ONE:
        return "einer" if gender == "f" else "einem"
    if gender == "f":
        return "eine"
    return "einen" if gender == "m" and preposition in _DE_ACCUSATIVE else "ein"


def _eu_agree(words: str, noun: str, lang: str, before: str = "") -> str:
    """A cardinal before its noun: "ein Euro"/"eine Stunde", "une heure", "un kilómetro"/"una hora",
    "veintiún", "doscientas personas"; `before`, the text before the number, gives a German case ("mit einer")."""
    if not noun or noun.lower() in _EU_NOT_NOUNS[lang]:
        return words
    if lang == "de":
        return _de_one(noun, before) if words == "eins" and noun[:1].isupper() else words
    if lang == "fr":
        feminine = _fr_feminine(noun) or (_FR_FEMININE_ENDING.search(noun.lower())
                                          and noun.lower().removesuffix("s") not in _FR_MASCULINE_EXCEPTIONS)
        return re.sub(r"\bun$", "une", words) if feminine else words
    feminine = _es_feminine(noun)
    if feminine:
        words = re.sub(r"ientos\b", "ientas", words)
        return re.sub(r"uno$", "una", words)
    return re.sub(r"uno$", "un", re.sub(r"veintiuno$", "veintiún", words))


def _eu_slash_date(m: re.Match, lang: str) -> str:
    day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
    if lang == "fr":
        spoken = f"{'premier' if day == 1 else _words(day, 'fr')} {_FR_MONTHS[month - 1]}"
        return spoken + (f" {_eu_number(year if len(year) == 4 else '20' + year, 'fr')}" if year else "")
    spoken = f"{_words(day, 'es')} de {_ES_MONTHS[month - 1]}"
    return spoken + (f" de {_eu_number(year if len(year) == 4 else '20' + year, 'es')}" if year else "")


# Abbreviated weekdays: read in full in a range ("Mo.–Fr.", "du lun. au ven.", "lun.-ven.") or where the
# words around them show a day: a date after them ("Sa., 14.6.", "mar. 5 mars"), or a word that governs a
# day before them ("außer Mo.", "le sam.", "el dom."). `weak` lists those that are also words or other
# abbreviations ("Fr." Frau, "mer." the sea, "jeu." a game, "mar." marzo or el mar): they need a date or a range.
_EU_DAYS = {
    "de": ({"Mo": "Montag", "Di": "Dienstag", "Mi": "Mittwoch", "Do": "Donnerstag", "Fr": "Freitag", "Sa": "Samstag",
            "So": "Sonntag"}, {"Fr", "So"}, " bis ", "",
           r"am|ab|bis|außer|jeden|vom|und|oder|sowie|nur|auch|immer|nächsten|letzten"),
    "fr": ({"lun": "lundi", "mar": "mardi", "mer": "mercredi", "jeu": "jeudi", "ven": "vendredi", "sam": "samedi",
            "dim": "dimanche"}, {"mer", "jeu"}, " au ", "du ", r"le|du|au|sauf|et|ou|chaque|dès|jusqu'au|ce"),
    "es": ({"lun": "lunes", "mar": "martes", "mié": "miércoles", "miér": "miércoles", "mier": "miércoles",
            "jue": "jueves", "vie": "viernes", "sáb": "sábado", "sab": "sábado", "dom": "domingo"}, {"mar"}, " a ", "de ",
           r"el|los|del|al|y|o|hasta|cada|excepto|salvo|menos|este|próximo"),
}
_EU_RANGE_START = {"de": r"von|vom", "fr": r"du|de", "es": r"de|del"}


def _eu_days(text: str, lang: str) -> str:
    days, weak, to, start, before = _EU_DAYS[lang]
    names = "|".join(sorted(days, key=len, reverse=True))
    pair = {"de": "und|oder", "fr": "et|ou", "es": "y|o"}[lang]

    def day_range(m: re.Match) -> str:
        opened = re.search(rf"\b(?:{_EU_RANGE_START[lang]})\s+$", m.string[:m.start()], re.IGNORECASE)
        return f"{'' if opened or not start else start}{days[m.group(1)]}{to}{days[m.group(2)]}"

    # "Mo.–Fr.", "Mo-Fr", "lun.-ven.": a dash between two days
    text = re.sub(rf"(?<![\w.])({names})\.?\s?[–—-]\s?({names})(?![\w])\.?", day_range, text)
    # "du lun. au ven.", "Mo. bis Fr.", "de lun. a vie.": two days around the language's "to"
    text = re.sub(rf"(?<![\w.])({names})\.(\s+(?:{to.strip()}|à|bis|a|al)\s+)({names})\.",
                  lambda m: days[m.group(1)] + m.group(2) + days[m.group(3)], text)

    def one(m: re.Match) -> str:
        rest, head = m.string[m.end():], m.string[:m.start()]
        dated = re.match(r",?\s*\d{1,2}(?!\d|\s?(?:%|€|[.,]\d\d\d))|\s+(?:bis|ab|von|dès|desde|hasta)\s", rest)
        # one of a list of days: "Mo., Mi. und Fr.", "sam./dim.", "lun. et mar."
        listed = re.match(rf"\s*(?:,|/|\s(?:{pair})\s)\s*(?:{names})\.", rest) or re.search(
            rf"(?<![\w.])(?:{names})\.?\s*(?:,|/|\s(?:{pair})\s)\s*$", head)
        # ("am Fr." is a day, "Fr. Müller" Frau)
        free = m.group(1) not in weak or (lang == "de" and not re.match(r"\s+[A-ZÄÖÜ][a-zäöüß]", rest))
        governed = free and re.search(rf"(?:^|\s)(?:{before})\s+$|[–—-]\s*$", head, re.IGNORECASE)
        if lang == "es" and m.group(1) == "mar" and re.search(r"\d\s+$", head):
            return m.group()  # "5 mar." is marzo
        return days[m.group(1)] if dated or governed or listed else m.group()

    text = re.sub(rf"(?<![\w.])({names})\.(?!\w)", one, text)
    # "Sa./So. geschlossen": a pair of days is "Samstag und Sonntag"
    full = "|".join(days.values())
    return re.sub(rf"\b({full})\s?/\s?(?=(?:{full})\b)", rf"\1 {pair.split('|')[0]} ", text)


# Months abbreviated with a full stop where the language's own list in the abbreviations lacks them, read
# after a day ("5. Jan.", "5 ago.") or before a year or day ("Jan. 2025", "ago. 2024"); "Jan" alone is a name.
_EU_MONTHS = {
    "de": {"Jan": "Januar", "Feb": "Februar", "Mär": "März", "Mrz": "März", "Apr": "April", "Jun": "Juni",
           "Jul": "Juli", "Aug": "August", "Sep": "September", "Sept": "September", "Okt": "Oktober",
           "Nov": "November", "Dez": "Dezember"},
    "fr": {"fév": "février", "janv": "janvier", "févr": "février", "avr": "avril", "juil": "juillet"},
    "es": {"abr": "abril", "ago": "agosto", "oct": "octubre", "nov": "noviembre", "jun": "junio", "jul": "julio",
           "mar": "marzo", "may": "mayo", "ene": "enero", "feb": "febrero", "sep": "septiembre", "sept": "septiembre",
           "dic": "diciembre"},
}


def _eu_months(text: str, lang: str) -> str:
    months = _EU_MONTHS[lang]
    names = "|".join(sorted(months, key=len, reverse=True))
    return re.sub(rf"(?<=\d)(\.?\s?(?:de\s)?)({names})\.(?!\w)|(?<![\w.])({names})\.(?=\s?(?:de\s)?\d)",
                  lambda m: ((" de " if lang == "es" and "de" not in m.group(1) else m.group(1)) + months[m.group(2)])
                  if m.group(2) else months[m.group(3)], text)


# Scales written short after an amount: "2,6 Bio. €", "4,5 Md€", "3 Mds €", "750 M€", "50 k€", "1.200 M€",
# "3 mil M€". The scale word is written out (the amount and the currency are read by the rules after);
# French keeps it singular under 2 ("1,5 milliard"), German and Spanish only for one.
_EU_SCALES = {
    "de": ((r"Tsd\.", "Tausend", "Tausend"), (r"Mio\.?", "Million", "Millionen"),
           (r"Mrd\.?", "Milliarde", "Milliarden"), (r"Bio\.?", "Billion", "Billionen")),
    "fr": ((r"k(?=\s?[€$£])", "mille", "mille"), (r"M(?=\s?[€$£])|Mio\b\.?", "million", "millions"),
           (r"Mds?(?=\b|€)\.?", "milliard", "milliards")),
    "es": ((r"k(?=\s?[€$£])", "mil", "mil"), (r"(?:mil\s?M|MM)(?=\s?[€$£])|mil\s?mill\.", "mil millones", "mil millones"),
           (r"M(?=\s?[€$£])|mill\.", "millón", "millones")),
}


def _eu_scales(text: str, lang: str, number: str) -> str:
    for abbreviation, one, many in _EU_SCALES[lang]:
        def replace(m: re.Match, one=one, many=many) -> str:
            amount = m.group(1)
            value = float(re.sub(r"[^\d,]", "", amount).replace(",", "."))
            single = value < 2 if lang == "fr" else amount == "1"
            return f"{amount} {one if single else many}" + (" " if m.string[m.end():m.end() + 1] in "€$£" else "")

        text = re.sub(rf"({number})\s?(?:{abbreviation})(?!\w)", replace, text)
    if lang == "es":  # "3 mil millones €" tres mil millones de euros
        text = re.sub(r"\b(millón|millones) ?([€$£])", lambda m: f"{m.group(1)} de {_EUROPEAN['es']['currency'][m.group(2)][1]}", text)
    return text
