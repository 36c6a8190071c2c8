"""Shared by the Latin-script languages (en, de, fr, es): Roman numerals, fractions, versions, scores,
rates ("per"), service numbers and the singular of English units."""

from __future__ import annotations

import re

from batchvideo_media.normalize.common import _words

# Short acronyms of computing said as a word, not spelled, in English, German, French and Spanish alike
# ("8 GB RAM", "la RAM", "die PIN", "la tarjeta SIM"); each language adds its own (ONU, UNO…).
_LATIN_WORD_ACRONYMS = frozenset({"RAM", "ROM", "PIN", "SIM", "MAX"})  # MAX: "Boeing 737 MAX", "Pro MAX"
_EN_SINGULAR = {"feet": "foot", "inches": "inch", "horsepower": "horsepower", "hertz": "hertz"}


def _en_singular(name: str) -> str:
    """"miles per hour" mile per hour, "square feet" square foot, "kilowatt hours" kilowatt hour."""
    head, per, tail = name.partition(" per ")
    words = head.split(" ")
    last = words[-1]
    words[-1] = _EN_SINGULAR.get(last, last[:-1] if last.endswith("s") else last)
    return " ".join(words) + (per + tail if per else "")


def _en_number(number: str) -> str:
    words = _words(float(number) if "." in number else int(number), "en")
    return words.replace("-", " ") if "." not in number else words


def _degree_sign(text: str) -> str:
    """"25 ºC", "100ºF": the ordinal indicator º typed for the degree sign (they look alike; Spanish keyboards
    have º), which before C or F after a number can only be degrees."""
    return re.sub(r"(?<=\d)(\s?)º\s?(?=[CF]\b)", r"\1°", text)


def _seconds(text: str, unit: str) -> str:
    """"9.58 s", "12 s": the symbol for seconds, written as the language's abbreviation its units read.
    Only with a space or after a decimal: "the 80s" is a decade."""
    return re.sub(r"(?<![\w.,])(\d+[.,]\d+\s?|\d+\s)s\b(?!['’]|\.\w)", lambda m: m.group(1).rstrip() + " " + unit, text)


# A race or running time, "2:08:34": hours, minutes and seconds.
_DURATION = re.compile(r"(?<![\d:])(\d{1,2}):([0-5]\d):([0-5]\d)(?![\d:]|[.,]\d)")
_DURATION_UNITS = {"en": ("hour hours", "minute minutes", "second seconds"),
                   "de": ("Stunde Stunden", "Minute Minuten", "Sekunde Sekunden"),
                   "fr": ("heure heures", "minute minutes", "seconde secondes"),
                   "es": ("hora horas", "minuto minutos", "segundo segundos")}
_AND_WORD = {"en": " and ", "de": " und ", "fr": " et ", "es": " y "}


def _duration_words(values, lang: str, cardinal) -> str:
    """Hours, minutes and seconds (`values`, a zero left out) each with its unit and "and" before the last:
    "two hours, eight minutes and thirty-four seconds", "dos horas y cinco minutos"; French joins two
    parts without it ("une heure trente minutes"). `cardinal(value, noun)`: the number agreeing with its noun."""
    parts = []
    for value, names in zip(values, _DURATION_UNITS[lang]):
        if value:
            noun = names.split(" ")[value != 1]
            parts.append(f"{cardinal(value, noun)} {noun}")
    if len(parts) < 2 or (lang == "fr" and len(parts) == 2):
        return " ".join(parts)
    return ", ".join(parts[:-1]) + _AND_WORD[lang] + parts[-1]


_ROMAN = re.compile(r"(?<![\w.])(M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))(?![\w])"
                    r"|(?<![\w.])([CLXVI]+)(?=(?:e|ème|è|er|re)\b)")
_ROMAN_NUMERAL = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
# A capitalised word before a numeral that counts things rather than naming a ruler: "World War II",
# "Teil III", "tome IV", "capítulo V" are read as cardinals; after a name the numeral is regnal. Numbered
# missions and rockets count too ("Apollo XI", "Artemis III", "Saturn V").
_ROMAN_COUNTED = {
    "en": "War|Bowl|Part|Chapter|Volume|Vol|Act|Phase|Book|Level|Title|Article|Section|Stage|Class|Type|Rocky|Episode"
          "|Apollo|Artemis|Gemini|Saturn|Voyager|Mariner|Pioneer|Vostok|Soyuz",
    "de": "Teil|Band|Kapitel|Akt|Artikel|Abschnitt|Klasse|Stufe|Phase|Buch|Titel|Liga",
    "fr": "",  # French reads every regnal and counting numeral as a cardinal (Louis Quatorze, tome quatre)
    "es": "Parte|Tomo|Capítulo|Volumen|Acto|Libro|Artículo|Título|Fase",
}


_ARTICLES = {"de": ("der", "die", "das", "dem", "den", "des", "im", "am", "zum", "zur", "vom", "beim"),
             "es": ("el", "la", "los", "las", "del", "al")}


def _roman_value(numeral: str) -> int:
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _de_regnal(value: int, before: str, feminine: bool) -> str:
    """German: "Karl der Fünfte", "unter Karl dem Fünften", "für Karl den Fünften": the article and
    ending by the preposition before the name (`before`: the text before it)."""
    word = _words(value, "de", to="ordinal").capitalize()
    governing = re.search(r"(\w+)\s+(?:[^\W\d_][\w-]*\s+)?$", before + " ")
    case = governing.group(1).lower() if governing else ""
    if case in ("mit", "von", "unter", "bei", "nach", "zu", "aus", "seit", "vor", "neben", "zwischen"):
        return f"der {word}n" if feminine else f"dem {word}n"
    if case in ("für", "gegen", "um", "durch", "ohne"):
        return f"die {word}" if feminine else f"den {word}n"
    return f"die {word}" if feminine else f"der {word}"


def _romans(text: str, lang: str) -> str:
    """Roman numerals after a name, a counted noun, "siglo", or with an ordinal ending ("XXe siècle"),
    as they are said: "Henry the Eighth", "World War Two", "Louis Quatorze", "Felipe sexto",
    "siglo diecinueve", "Karl der Fünfte", "vingtième siècle". A lone "I" in English is the pronoun."""
    counted = _ROMAN_COUNTED[lang]

    def replace(m: re.Match) -> str:
        numeral = m.group(1) or m.group(2)
        if m.group(2) and (lang != "fr" or not _ROMAN_NUMERAL.fullmatch(numeral)):
            return m.group()
        if not numeral or not set(numeral) & set("IVX"):
            return m.group()
        value = _roman_value(numeral)
        before = text[:m.start()]
        after = text[m.end():]
        name = re.search(r"(?:^|[\s(])([^\W\d_][\w'’-]*)\s+$", before)
        previous = name.group(1) if name else ""
        if lang == "fr" and re.match(r"(?:e|ème|è)\b", after):
            return _words(value, "fr", to="ordinal")  # suffix consumed below
        if lang == "fr" and re.match(r"(?:er|re)\b", after) and value == 1:
            return "premier" if after.startswith("er") else "première"
        if lang == "es" and previous.lower() == "siglo":
            return _words(value, "es") if value > 10 else _words(value, "es", to="ordinal")
        noun = re.match(r"\.?\s+([A-ZÄÖÜÁÉÍÓÚ][^\W\d_]+)", after)
        if previous.lower() in _ARTICLES.get(lang, ()) and noun:
            # "La II Guerra Mundial" la segunda, "der II. Weltkrieg" (left to the ordinal rule as "2.")
            if lang == "de":
                return f"{value}" + ("" if after.startswith(".") else ".")
            if lang == "es":
                word = _words(value, "es", to="ordinal")
                return re.sub(r"o\b", "a", word) if _es_feminine(noun.group(1)) else word
        if not previous or not previous[0].isupper():
            return m.group()
        if numeral == "I" and lang == "en" and previous != "War":
            return m.group()
        if counted and re.fullmatch(counted, previous):
            return _words(value, lang)
        if lang == "en":
            return "the " + _words(value, "en", to="ordinal")
        if lang == "fr":
            return "premier" if value == 1 else _words(value, "fr")
        feminine = re.search(r"[ae]$", previous) or previous in ("Isabel", "Elisabeth", "Elizabeth")
        if lang == "es":
            if value > 10:
                return _words(value, "es")
            word = _words(value, "es", to="ordinal")
            return re.sub(r"o\b", "a", word) if feminine and previous.endswith(("a", "Isabel")) else word
        return _de_regnal(value, before[:len(before) - len(previous) - 1], bool(feminine))

    text = _ROMAN.sub(replace, text)
    if lang == "fr":  # the ordinal ending of "XXe", "Ier" after its numeral was written out
        text = re.sub(r"(ième|premier|première)(?:e|ème|è|er|re)\b", r"\1", text)
    if lang == "de":  # the full stop that marks the German ordinal ("Karl V."), unless it ends the sentence
        text = re.sub(r"((?:der|die|dem|den) [A-ZÄÖÜ][a-zäöüß]+)\.(?=\s+[a-zäöüß])", r"\1", text)
    return text


# Fractions: "3/4", "¾", "2½", "2 1/2". The half, third and quarter have their own words; other
# denominators are ordinals ("two fifths", "zwei Fünftel", "deux cinquièmes", "dos quintos").
_VULGAR = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5), "⅗": (3, 5),
           "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8)}
_FRACTION = re.compile(r"(?<![\d/.,])(?:(\d+)(?:\s?(?=[½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞])|\s(?=[1-9]/)))?"
                       r"(?:([½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞])|(?<![\d/.,])([1-9])/([2-9]|10)(?![\d/]))")
# French feminine nouns whose ending does not show it (the endings are in european_words): the measures and
# the nouns most often counted, for "une"/"vingt et une" and "une demi-heure"; "livre" is the pound here.
_FR_FEMININE = set("""heure minute seconde semaine année journée soirée matinée nuit fois saison époque tonne livre
    tasse cuillère bouteille douzaine dizaine vingtaine centaine quinzaine page part pinte portion tranche boîte
    personne femme fille famille équipe victoire défaite course étape partie manche place voiture ville rue route
    avenue gare station maison chambre pièce porte fenêtre table chaise classe école église île région entreprise
    usine banque boutique étoile planète fleur mer montagne rivière forêt plage piste salle lettre ligne carte photo
    vidéo image chanson histoire langue question réponse chose idée erreur règle loi vie guerre bataille médaille
    balle note voix croix noix calorie kilocalorie espèce catégorie raison victime vague marche dent main tête""".split())


def _fr_feminine(noun: str) -> bool:
    """Whether a French noun (singular or plural) is one of the listed feminine ones: "étapes", "fois"."""
    noun = noun.lower()
    return noun in _FR_FEMININE or noun.removesuffix("s") in _FR_FEMININE or noun.removesuffix("x") in _FR_FEMININE
# German nouns by gender, for "eine"/"ein" and the ending of "halb": feminine by ending ("Tasse", "Stunde",
# "Packung"), neuter for the measures that are ("Kilogramm", "Pfund", "Glas"); the rest masculine ("Liter").
_DE_FEMININE = re.compile(r"(?:e|ung|heit|keit|schaft|ion|tät|ik|ie)$")
_DE_NEUTER = re.compile(r"(?:[gG]ramm|Pfund|Kilo|Prozent|Jahr|Dutzend|Stück|Glas|Bund|Paket|Brot|Ei|chen|lein|[bB]yte)$")
# Feminine nouns the endings miss, among those most often counted: "eine Person", "mit einer Nacht".
_DE_FEMININE_NOUNS = frozenset("""Person Nacht Stadt Frau Zeit Tür Hand Welt Art Zahl Fahrt Kraft Wand Bank Maus
    Milch Nuss Wurst Tat Schicht Tour Saison Mark Million Milliarde Uhr""".split())


def _de_gender(noun: str) -> str:
    """"f", "n" or "m", by the lists above and the endings (masculine where neither tells)."""
    if noun in _DE_FEMININE_NOUNS:
        return "f"
    if _DE_NEUTER.search(noun):
        return "n"  # before the endings: "Terabyte" ends in e, and is "das Terabyte"
    return "f" if _DE_FEMININE.search(noun) else "m"
# Prepositions that take the dative: "mit einem halben Liter", "nach einer halben Stunde".
_DE_DATIVE = ("mit", "von", "vom", "aus", "nach", "zu", "bei", "seit", "außer")
_ES_MASCULINE_A = {"día", "mapa", "problema", "programa", "sistema", "tema", "idioma", "clima", "planeta",
                   # the short names of data sizes stand for masculine nouns (megabyte): "setecientos megas"
                   "mega", "giga", "tera"}


def _es_feminine(noun: str) -> bool:
    noun = noun.lower()
    singular = re.sub(r"(?<=[ió]n)es$|(?<=d)es$", "", noun).rstrip("s") if noun.endswith("es") else noun.rstrip("s")
    return (singular.endswith("a") and singular not in _ES_MASCULINE_A) \
        or singular.endswith(("ción", "sión", "dad", "tad", "tud", "umbre"))


def _de_half(noun: str, before: str) -> str:
    """"½" before a German noun, inflected by its gender and case: the accusative of a recipe's object
    ("einen halben Liter", "eine halbe Tasse", "ein halbes Pfund"), the dative after a preposition that takes
    it ("mit einem halben Liter"), the nominative where a sentence starts ("Ein halber Liter reicht")."""
    gender = _de_gender(noun)
    previous = re.search(r"(\w+)\s+$", before)
    if previous and previous.group(1).lower() in _DE_DATIVE:
        return "einer halben" if gender == "f" else "einem halben"
    nominative = not before.strip() or re.search(r"[.!?:]\s*$", before)
    return {"f": "eine halbe", "n": "ein halbes", "m": "ein halber" if nominative else "einen halben"}[gender]


def _fraction_words(m: re.Match, lang: str, units: dict[str, str] | None) -> str | None:
    """The words of the fraction `_fractions` found (None where it is a date, "le 3/9"); a half's gender
    (fr, es) from the noun or unit after it."""
    text = m.string
    whole = m.group(1)
    num, den = _VULGAR[m.group(2)] if m.group(2) else (int(m.group(3)), int(m.group(4)))
    if num >= den or (m.group(3) and re.search(r"\b(?:le|du|au|el|del|on|am|vom)\s+$", text[:m.start()])):
        return None  # "le 3/9", "on 3/4" are dates
    noun_match = re.match(r"\s+(?:(?:de|of)\s+)?([^\W\d_]+)", text[m.end():])
    noun = units[m.group("unit")].split(" ")[0] if m.group("unit") else noun_match.group(1) if noun_match else ""
    plural = num > 1
    if lang == "en":
        name = {2: "half", 4: "quarter"}.get(den) or _words(den, "en", to="ordinal")
        name = ("halves" if den == 2 else name + "s") if plural else name
        if whole:
            return f"{_en_number(whole)} and {'a' if num == 1 else _en_number(str(num))} {name}"
        return f"{'one' if num == 1 else _en_number(str(num))} {name}"
    if lang == "de":
        if den == 2:
            if not whole and noun[:1].isupper():
                return _de_half(noun, text[:m.start()])
            return f"{'ein' if whole == '1' else _words(int(whole), 'de')}einhalb" if whole else "ein halb"
        name = _words(den, "de", to="ordinal")[:-1] + "el"  # "dritte" → "Drittel"
        spoken = f"{'ein' if num == 1 else _words(num, 'de')} {name.capitalize()}"
        return f"{_words(int(whole), 'de')} und {spoken}" if whole else spoken
    if lang == "fr":
        if den == 2 and num == 1:
            if whole:  # "\x01" marks where the noun goes: "deux heures et demie"
                return f"{_words(int(whole), 'fr')}\x01demi"
            return ("une demi" if _fr_feminine(noun) else "un demi") + ("-" if noun else "")
        name = {2: "demi", 3: "tiers", 4: "quart"}.get(den) or _words(den, "fr", to="ordinal")
        name = name + "s" if plural and not name.endswith("s") else name
        spoken = f"{'un' if num == 1 else _words(num, 'fr')} {name}"
        return f"{_words(int(whole), 'fr')} et {spoken}" if whole else spoken
    # Spanish: "media taza", "medio litro", "dos y medio", "tres cuartos"
    if den == 2 and num == 1:
        half = "media" if noun and _es_feminine(noun) else "medio"
        return f"{_words(int(whole), 'es')}\x01{half}" if whole else half
    name = {3: "tercio", 4: "cuarto"}.get(den) or _words(den, "es", to="ordinal")
    spoken = f"{'un' if num == 1 else _words(num, 'es')} {name}{'s' if plural else ''}"
    return f"{_words(int(whole), 'es')} y {spoken}" if whole else spoken


def _fractions(text: str, lang: str, units: dict[str, str] | None = None, singular=None) -> str:
    """`units`: the language's unit abbreviations, written out after a fraction ("¾ l" drei Viertel Liter);
    `singular(name)`: a unit's name for one (de, fr, es), after a fraction under one and for a half's gender."""
    ones = {symbol: singular(name) for symbol, name in units.items()} if units and singular else units

    def replace(m: re.Match) -> str:
        spoken = _fraction_words(m, lang, ones)
        if spoken is None:
            return m.group()
        if not m.group("unit"):
            return spoken
        unit, one = units[m.group("unit")], ones[m.group("unit")]
        if m.group(1):  # "2½ cups", "deux heures et demie" (the noun is placed below)
            return f"{spoken} {unit}"
        # less than one of the unit: "a quarter teaspoon", "trois quarts de litre", "tres cuartos de litro",
        # "eine halbe Stunde" (German keeps the plural after the other fractions: "drei Viertel Stunden")
        if lang == "en":
            return f"{spoken} {_en_singular(unit)}"
        if lang in ("fr", "es") and not spoken.endswith(("-", "medio", "media")):
            return f"{spoken} de {one}"
        return f"{spoken}{'' if spoken.endswith('-') else ' '}{unit if lang == 'de' and 'halb' not in spoken else one}"

    unit_names = "|".join(sorted(map(re.escape, units or {}), key=len, reverse=True)) or "(?!)"
    pattern = re.compile(_FRACTION.pattern + rf"(?:\s?(?P<unit>{unit_names})(?![\w'’]))?")

    text = pattern.sub(replace, text)
    # "deux heures et demie", "dos horas y media": the noun comes before the half
    if lang == "fr":
        text = re.sub(r"\x01demi (?:d')?([^\W\d_]+)", lambda m: f" {m.group(1)} et demi"
                      + ("e" if _fr_feminine(m.group(1)) else ""), text)
    if lang == "es":
        text = re.sub(r"\x01medi[oa] ([^\W\d_]+)", lambda m: f" {m.group(1)} y "
                      + ("media" if _es_feminine(m.group(1)) else "medio"), text)
    text = text.replace("\x01", {"fr": " et ", "es": " y "}.get(lang, " "))
    return re.sub(r"\bdemi-\s+", "demi-", text) if lang == "fr" else text
# "9,99 €/Monat", "$5/month": the slash of a rate is said ("pro Monat", "par mois", "al mes", "per month").
_PER = {"de": "pro", "fr": "par", "es": "por", "en": "per"}
_PER_WORDS = (r"month|year|day|week|hour|night|person|mois|an|année|jour|semaine|heure|nuit|personne|mes|año|día|"
              r"semana|hora|noche|persona|Monat|Jahr|Tag|Woche|Stunde|Nacht|Person|Stück|kg|km|m²")


def _per(text: str, lang: str) -> str:
    def replace(m: re.Match) -> str:
        if lang == "es" and re.match(r"(?:mes|año|día)\b", m.string[m.end():]):
            return " al "
        return f" {_PER[lang]} "

    return re.sub(rf"(?<=[\w€$£])\s?/\s?(?=(?:{_PER_WORDS})\b)", replace, text)
# The multiplication sign: between measures ("3 × 4 m", "a 2x4 ft board") it gives dimensions, said "by", "mal",
# "sur", "por"; in a sum ("3 × 4 = 12") it is "times", "mal", "fois", "por", and the sign after it "equals"…
_TIMES_WORDS = {"en": ("by", "times", "equals"), "de": ("mal", "mal", "gleich"), "fr": ("sur", "fois", "égale"),
                "es": ("por", "por", "igual a")}


# Lengths written out after dimensions ("48 × 28 inches", "120 × 80 Zentimeter"): the numbers are measures too.
# (not durations or counts: "3 × 10 minutes" is three times ten minutes)
_LENGTH_WORDS = {"en": r"inch(?:es)?|feet|foot|yards?|(?:milli|centi|kilo)?met(?:er|re)s?|pixels?",
                 "de": r"(?:Milli|Zenti|Kilo)?[Mm]eter|Zoll|Fuß|Pixel",
                 "fr": r"(?:milli|centi|kilo)?mètres?|pouces?|pieds?|pixels?",
                 "es": r"(?:milí|centí|kiló)?metros?|pulgadas?|pies|píxel(?:es)?"}


def _dimensions(text: str, lang: str, number: str, units: str) -> str:
    """"3 × 4 m", "2x4 ft", "3 m × 4 m", "48 × 28 inches", "3 × 4 = 12". `number`: the language's number pattern;
    `units`: its unit symbols as an alternation. A letter x between numbers is the sign only before a unit or an
    equals sign ("4x4" and "1920x1080" are names)."""
    by, times, equals = _TIMES_WORDS[lang]
    unit = rf"\s?(?:{units}|{_LENGTH_WORDS[lang]})(?![\w'’])"
    chain = re.compile(rf"(?<![\w.,])(?:{number})(?:{unit})?(?:\s?[×xX]\s?(?:{number})(?:{unit})?)+(\s?=\s?(?=[-−]?\d))?")

    def replace(m: re.Match) -> str:
        measured = re.search(rf"\d{unit}", m.group())
        if not measured and not m.group(1) and not re.search("×", m.group()):
            return m.group()
        spoken = re.sub(r"\s?[×xX]\s?(?=\d)", f" {by if measured else times} ", m.group())
        return re.sub(r"\s?=\s?$", f" {equals} ", spoken)

    return chain.sub(replace, text)


# Emergency and public service numbers, said digit by digit after the words that introduce a number
# ("wählen Sie die 112" eins eins zwei, "llame al 112" uno uno dos); French says them as numbers.
_EU_SERVICE = {"de": (r"110|112|115|116116|116117|19222", r"(?:die|der|Notruf\w*|unter|wählen|anrufen|Nummer|Rufnummer)"),
               "es": (r"112|091|092|016|061|062|010|024|060", r"(?:al|el|número|teléfono|marque|llame|llamar)")}
_SCORE_WORD = {"de": " zu ", "fr": " à ", "es": " a ", "en": " to "}
_POINT_WORD = {"de": " Punkt ", "fr": " point ", "es": " punto ", "en": " point "}
_MINUS_WORD = {"de": "minus ", "fr": "moins ", "es": "menos ", "en": "minus "}


def _versions(text: str, lang: str) -> str:
    """Version and section numbers, "2.3.1", "macOS 14.2", "Version 4.2": each part a number joined by
    the word for the dot. In German, French and Spanish a decimal takes a comma, so any dotted pair
    that is not a thousands group ("1.500"), a date or a time is one; in English only a chain."""
    point = _POINT_WORD[lang]
    text = re.sub(r"(?<![\d.,])\d+(?:\.\d+){2,}(?![\d]|\.\d)",
                  lambda m: m.group() if any(len(p) == 4 for p in m.group().split(".")[1:])
                  else point.join(m.group().split(".")), text)
    if lang != "en":
        text = re.sub(r"(?<![\d.,])(\d+)\.(\d{1,2})(?!\d|\.\d|\.?[ºª])", lambda m: f"{m.group(1)}{point}{m.group(2)}", text)
    else:
        text = _EN_VERSION.sub(_en_version, text)
    return text


# An English version number after the word or product it numbers ("Version 2.0", "v3.0", "Python 3.10", "iOS
# 17.0", "Web 2.0"): its parts are numbers, not a decimal's digits, so "3.10" is three point ten and "2.0" keeps
# its zero, said "oh" as in "Web two point oh".
_EN_VERSION = re.compile(r"(\b(?:[Vv]ersion|[Vv]er\.|[Rr]elease|[Ff]irmware|[Uu]pdate|Python|Java|PHP|Perl|Ruby|Node"
                         r"|Swift|Kotlin|Bluetooth|USB|HTTP|HTML|Wi-Fi|WiFi|Web|Windows|Android|iOS|iPadOS|macOS|watchOS"
                         r"|Linux|Ubuntu|Debian|Fedora|Chrome|Firefox|Safari|Office)\s+|\bv)(\d+)\.(\d+)(?!\d|[.,]\d)")


def _en_version(m: re.Match) -> str:
    head = "version " if m.group(1) == "v" else m.group(1)
    minor = m.group(3)
    said = " ".join("oh" if d == "0" else d for d in minor) if minor.startswith("0") else minor
    return f"{head}{m.group(2)} point {said}"


def _scores(text: str, lang: str) -> str:
    """A result or ratio, "3:1", "2-1", "1-1": the language's "zu"/"à"/"a"/"to". A hyphen pair whose
    second number is the larger is a range instead (handled with the ranges)."""
    word = _SCORE_WORD[lang]
    text = re.sub(r"(?<![\d:.,])(\d{1,2}):(\d)(?![\d:])", rf"\1{word}\2", text)
    # (not hours: "10–8 Uhr", "de 22-6 h" are ranges of time)
    return re.sub(r"(?<![\w.,\-−/:])([1-9]\d{0,2}|0)\s?[-–]([1-9]\d{0,2}|0)(?![\w\-−/]|[.,:]\d)"
                  r"(?!\s?(?:Uhr|h\b|heures?|horas?|hours|o'clock|[ap]\.?m\b|[AP]M\b))",
                  lambda m: f"{m.group(1)}{word}{m.group(2)}" if int(m.group(1)) >= int(m.group(2)) else m.group(),
                  text)


def _service_numbers(text: str, lang: str) -> str:
    if lang in _EU_SERVICE:
        numbers, before = _EU_SERVICE[lang]
        text = re.sub(rf"(\b{before}\s+(?:(?:die|der|el|al)\s+)?)({numbers})(?![\d%]|[.,]\d|\s?[%€$])",
                      lambda m: m.group(1) + " ".join(_words(int(d), lang) for d in m.group(2)), text)
        # before the word for the service: "der 112-Notruf", "el 112 de emergencias"
        text = re.sub(rf"(?<![\d.,])({numbers})(?=-?(?:Notruf|Hotline|Leitstelle)|\s(?:de emergencias?|atendió))",
                      lambda m: " ".join(_words(int(d), lang) for d in m.group(1)), text)
    # a short number with a leading zero is a code, said digit by digit ("091", "0800")
    if lang != "fr":
        text = re.sub(r"(?<![\d.,:/\-+])0\d{1,3}(?![\d.,:/\-]|\s?[%€$£])",
                      lambda m: " ".join(_words(int(d), lang) for d in m.group()), text)
    return text


def _split_codes(text: str) -> str:
    """Letters and digits of a model or flat number apart: "S24" S 24, "PS5", "4B", "A380"."""
    text = re.sub(r"(?<=[A-Za-z])(?=\d)", " ", text)
    return re.sub(r"(?<=\d)(?=[A-Za-z]\b)", " ", text)
