"""English: abbreviations, streets, days and months, phone numbers, years, money, times and units."""

from __future__ import annotations

import re

from batchvideo_media.normalize.common import (
    _CODE,
    _RANGE,
    _THOUSANDS,
    _TIME,
    _fuel_consumption,
    _hyphen_ranges,
    _replace_abbreviations,
    _spell_acronyms,
    _spell_mixed_case,
    _watt_hours,
    _words,
)
from batchvideo_media.normalize.latin import (
    _DURATION,
    _LATIN_WORD_ACRONYMS,
    _degree_sign,
    _dimensions,
    _duration_words,
    _en_number,
    _en_singular,
    _fractions,
    _per,
    _romans,
    _scores,
    _seconds,
    _split_codes,
    _versions,
)

_EN_ABBREVIATIONS = [
    (r"\bDr\.(?=\s+[A-Z])", "Doctor"), (r"\bMr\.", "Mister"), (r"\bMrs\.", "Missus"), (r"\bMs\.", "Miz"),
    (r"\bProf\.(?=\s+[A-Z])", "Professor"), (r"\bMt\.(?=\s+[A-Z])", "Mount"), (r"\bJr\.", "Junior"),
    (r"\bSt\.(?=\s+[A-Z][a-z])", "Saint"), (r"\bvs\.?(?=\s)", "versus"),
    (r"\be\.g\.", "for example"), (r"\bi\.e\.", "that is"), (r"\betc\.", "et cetera"),
    (r"\bNo\.\s?(?=\d)", "number "), (r"#(?=\d)", "number "),
    (r"\b([ap])\.m\.", r"\1 m"), (r"\b([AP])M\b", r"\1 M"), (r"(?<=\d)([ap])m\b", r" \1 m"),
    (r"\b[Aa]pprox\.", lambda m: m.group()[0] + "pproximately"), (r"\bApt\.?(?=\s*\d)", "Apartment"), (r"\bRm\.?(?=\s*\d)", "Room"),
    (r"\bapt\.?(?=\s*\d)", "apartment"), (r"\bSte\.?(?=\s*\d)", "Suite"), (r"\bGov\.(?=\s+[A-Z])", "Governor"),
    (r"\bSen\.(?=\s+[A-Z])", "Senator"), (r"\bRep\.(?=\s+[A-Z])", "Representative"),
    (r"\bGen\.(?=\s+[A-Z])", "General"), (r"\bCapt\.(?=\s+[A-Z])", "Captain"), (r"\bLt\.(?=\s+[A-Z])", "Lieutenant"),
    (r"\bSgt\.(?=\s+[A-Z])", "Sergeant"), (r"\bFt\.(?=\s+[A-Z])", "Fort"), (r"\bPres\.(?=\s+[A-Z])", "President"),
    (r"\bCorp\.", "Corporation"), (r"\bLtd\.", "Limited"), (r"\bdept\.", "department"), (r"\bDept\.", "Department"),
    (r"\bSr\.", "Senior"), (r"\bp\.(?=\s?\d)", "page"), (r"\bpp\.(?=\s?\d)", "pages"), (r"\bvol\.(?=\s?\d)", "volume"),
    (r"\bVol\.(?=\s?\d)", "Volume"), (r"\bch\.(?=\s?\d)", "chapter"), (r"\bfig\.(?=\s?\d)", "figure"),
    (r"\bCh\.(?=\s?\d)", "Chapter"), (r"\bFig\.(?=\s?\d)", "Figure"), (r"\b[Ss]ec\.(?=\s?\d)", lambda m: m.group()[0] + "ection"),
    (r"\bEp\.(?=\s?\d)", "Episode"), (r"(?<![\d.,])1 pts?\.", "1 point"), (r"(?<=\d )pts?\.", "points"), (r"\bc(?:a)?\.\s?(?=\d{3,4}\b)", "circa "), (r"\b24/7\b", "twenty-four seven"), (r"(?<![\d/])9/11\b", "nine eleven"),
]
# Street suffixes as the USPS abbreviates them (Publication 28, appendix C1), read in full after a
# street's name or number ("Elm St.", "5th Ave.", "Sunset Blvd"); "Dr." before a name is Doctor.
_EN_STREETS = {"St": "Street", "Ave": "Avenue", "Av": "Avenue", "Blvd": "Boulevard", "Rd": "Road", "Dr": "Drive",
               "Ln": "Lane", "Ct": "Court", "Pl": "Place", "Sq": "Square", "Pkwy": "Parkway", "Hwy": "Highway",
               "Ter": "Terrace", "Cir": "Circle", "Expy": "Expressway", "Fwy": "Freeway", "Hts": "Heights"}
# A compass point after the suffix names the city's quadrant ("Pennsylvania Ave. NW", "Main St. SE"); a single
# letter only where nothing but punctuation follows it ("5th Ave. S, Seattle").
_EN_COMPASS = {"NW": "Northwest", "NE": "Northeast", "SW": "Southwest", "SE": "Southeast", "N": "North", "S": "South",
               "E": "East", "W": "West"}
_EN_STREET = re.compile(r"\b([A-Z][\w'’-]*|\d+(?:st|nd|rd|th)?)\s+({})(\.(?!\w)|\b(?![.\w]))"
                        r"(?:\s+(N[EW]|S[EW]|[NSEW](?=\.?(?:[,;:)!?]|\.?\s*$)))\b(\.(?!\w))?)?".format("|".join(_EN_STREETS)))
# Abbreviated months and the AP-style state abbreviations used in running text.
_EN_WORDS = {"Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April", "Jun": "June", "Jul": "July",
             "Aug": "August", "Sep": "September", "Sept": "September", "Oct": "October", "Nov": "November",
             "Dec": "December", "Ala": "Alabama", "Ariz": "Arizona", "Ark": "Arkansas", "Calif": "California",
             "Colo": "Colorado", "Conn": "Connecticut", "Del": "Delaware", "Fla": "Florida", "Ga": "Georgia",
             "Ill": "Illinois", "Ind": "Indiana", "Kan": "Kansas", "Ky": "Kentucky", "La": "Louisiana",
             "Md": "Maryland", "Mass": "Massachusetts", "Mich": "Michigan", "Minn": "Minnesota",
             "Miss": "Mississippi", "Mo": "Missouri", "Mont": "Montana", "Neb": "Nebraska", "Nev": "Nevada",
             "Okla": "Oklahoma", "Ore": "Oregon", "Pa": "Pennsylvania", "Tenn": "Tennessee", "Va": "Virginia",
             "Vt": "Vermont", "Wash": "Washington", "Wis": "Wisconsin", "Wyo": "Wyoming"}
# Abbreviated weekdays ("Mon.", "Tues.", AP style), read in full when they end in a full stop or stand in
# a range ("Mon.–Sat.", "Mon-Fri"); a range of days is "Monday through Saturday".
_EN_DAYS = {"Mon": "Monday", "Tue": "Tuesday", "Tues": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
            "Thur": "Thursday", "Thurs": "Thursday", "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday"}
_EN_DAY_NAMES = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_EN_UNITS = {"km": "kilometers", "kg": "kilograms", "cm": "centimeters", "mm": "millimeters", "m": "meters",
             "mi": "miles", "mph": "miles per hour", "km/h": "kilometers per hour", "W": "watts", "kW": "kilowatts",
             "MW": "megawatts", "GW": "gigawatts", "GB": "gigabytes", "TB": "terabytes",
             "MB": "megabytes", "lb": "pounds", "lbs": "pounds", "ft": "feet", "ml": "milliliters",
             "Hz": "hertz", "kHz": "kilohertz", "MHz": "megahertz", "GHz": "gigahertz", "V": "volts",
             "g": "grams", "L": "liters", "ms": "milliseconds", "m²": "square meters", "km²": "square kilometers",
             "sq ft": "square feet", "sq. ft.": "square feet", "sq. ft": "square feet", "ft²": "square feet",
             "sq mi": "square miles", "m³": "cubic meters", "oz": "ounces", "fl oz": "fluid ounces",
             "tsp": "teaspoons", "tsp.": "teaspoons", "tbsp": "tablespoons", "tbsp.": "tablespoons",
             "cal": "calories", "kcal": "kilocalories", "Mbps": "megabits per second", "Gbps": "gigabits per second",
             "MB/s": "megabytes per second", "KB": "kilobytes", "kB": "kilobytes", "mg": "milligrams",
             "hr": "hours", "hrs": "hours", "h": "hours", "min": "minutes", "mins": "minutes", "sec": "seconds",
             "mL": "milliliters", "gal": "gallons", "qt": "quarts", "yd": "yards", "mAh": "milliamp hours",
             "hp": "horsepower", "kph": "kilometers per hour", "ha": "hectares", "°": "degrees", "in.": "inches",
             "inch": "inches", "mpg": "miles per gallon", "mmHg": "millimeters of mercury", "mm Hg": "millimeters of mercury"} | _watt_hours("kilo mega giga tera", "watt hours") \
    | _fuel_consumption("liters per hundred kilometers")


# Short acronyms said as a word in English: the computing ones and ZIP (the Zone Improvement Plan, said "zip").
_EN_WORD_ACRONYMS = _LATIN_WORD_ACRONYMS | {"ZIP"}
# Emergency and information lines said digit by digit ("call nine one one").
_EN_SERVICE = re.compile(r"(?<![\d.,$])\b(911|999|112|988|311|411|211|111)\b(?![.,]?\d|\s?%)")
# The words after a service number that show it is one ("the 911 call", "a 999 operator").
_EN_SERVICE_AFTER = r"\s+(?:emergency|hotline|line|operator|dispatch\w*|call\w*|centers?|centres?|system|services?)\b"
# Flight, room, route and model numbers of three or four digits said in pairs, as years are ("Flight 857"
# eight fifty-seven, "Boeing 747", "Room 305" three oh five, "A380", "RTX 4090").
_EN_NUMBER_NAMES = "flight|boeing|airbus|room|suite|bus|route|train|gate|platform|model|porsche"
_EN_IDENTIFIER = re.compile(rf"(\b(?i:{_EN_NUMBER_NAMES})\s+(?:[A-Z]{{1,2}}\s?)?|\b[A-Z]{{2}}\s|(?<=[A-Za-z])-?)"
                            r"([1-9]\d{2,3})(?!\d|[.,]\d)")
# The words before a seat's, room's or gate's number ("Seat 14B", "Gate 22B", "Apartment 4B"): those above too.
_EN_PLACE_LABEL = (rf"\b(?i:{_EN_NUMBER_NAMES}|seat|flat|apartment|apt\.?|row|terminal|unit|building|block|floor"
                   r"|level|bay|stand|pier|section|bed|box|locker|cabin|car|coach|type|class|grade|size|exit"
                   r"|line|track|highway|interstate)\s+$")
# A screen or image size, "1920 × 1080", "2560x1440 pixels": each side in pairs, joined by "by" (nineteen
# twenty by ten eighty). Not a measure ("1200 × 800 mm") or a sum ("100 × 20 = 2000"): those are `_dimensions`'.
_EN_RESOLUTION = re.compile(r"(?<![\w.,×])(?<![×x]\s)([1-9]\d{2,3})\s?[×x]\s?([1-9]\d{2,3})(?![\w.,]\d|\s?[×x=]|\s?\d"
                            r"|\s?(?:inch|inches|feet|foot|yards?|\w*met(?:er|re)s?|"
                            + "|".join(sorted(map(re.escape, _EN_UNITS), key=len, reverse=True)) + r")(?!\w))")
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December")
_EN_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
                "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", "", "")}
# Determiners that make a number and its unit an adjective when a noun follows ("one 500 mg tablet"), and
# the words after a unit that are not a noun it qualifies ("the 5 km to the finish", "the 3 m long rope").
_EN_DETERMINER = r"\b(?:[Oo]ne|[Tt]he|[Tt]his|[Tt]hat|[Ee]ach|[Ee]very|[Ii]ts|[Hh]is|[Hh]er|[Tt]heir|[Oo]ur|[Mm]y|[Yy]our|[Nn]o|[Aa]ny)\s+$"
_EN_NOT_NOUNS = frozenset("""of to in on at from for per and or but than less more away long wide high tall deep thick ago
    later each a an the is was are were be been by with into over under after before apart behind ahead north south east
    west up down off out further farther across along around through daily so too as left short every""".split())
_SCALE = r"(?:\s?(thousand|million|billion|trillion|[kKmMbB]n?)\b)?"
_SCALE_WORDS = {"k": "thousand", "m": "million", "b": "billion", "bn": "billion", "mn": "million"}
_NUMBER = r"\d+(?:\.\d+)?"


# USPS state codes, read as the state's name after a city ("Austin, TX"); the ones that are also English
# words or common initialisms are taken only before a ZIP code ("Tulsa, OK 74103").
_EN_STATES = dict(zip(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split(),
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|"
    "Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|"
    "Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|"
    "Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming".split("|")))
# The District of Columbia takes a ZIP code as the states do ("Washington, DC 20500"); it is said by its letters,
# as the acronym reader says it where no ZIP code follows.
_EN_STATES |= {"DC": "D C", "D.C.": "D C"}
_EN_STATE_WORDS = {"HI", "ID", "IN", "ME", "OH", "OK", "OR", "DC", "D.C."}
_EN_STATE = re.compile(r"(?:(?<=[a-z], )|(?<=[a-z]\., ))({})(?:(\s+\d{{5}}(?:-\d{{4}})?)(?![\d-])|(?=[.,;:!?)]|\s+[a-z]|\s*$))".format(
    "|".join(map(re.escape, _EN_STATES))))
# A ZIP code a few words after its name ("The ZIP code for Beverly Hills is 90210", "my zip is 10001").
_EN_ZIP = re.compile(r"(\b(?i:zip(?:\s?code)?|postal\s+code|post\s?code)(?:\W+[A-Za-z'’]+){0,6}?\W+)"
                     r"(\d{5}(?:-\d{4})?)(?![\d-]|[.,]\d)")
# A house number of three or four digits before a street's name is said in pairs, as a year is ("4218 Elm
# Street" forty-two eighteen, "9500 Wilshire Boulevard" ninety-five hundred, "305 Main Street" three oh five).
_EN_HOUSE_NUMBER = re.compile(r"(?<![\w.,$#/:-])([1-9]\d{{2,3}})(?= (?:[NSEW]\.? )?(?:[A-Z][\w'’-]*|\d+(?:st|nd|rd|th)) "
                              r"(?:[A-Z][\w'’-]* ){{0,2}}(?:{})\b)".format("|".join(set(_EN_STREETS.values()) | {"Way"})))
# A blood-pressure reading a few words after "blood pressure" or "BP" ("her BP today is 118/76"): systolic "over"
# diastolic, a three-digit number in pairs as clinicians say it ("one twenty over eighty").
_EN_BLOOD_PRESSURE = re.compile(r"((?i:blood pressure)|\bBP|\bB\.P\.)(?![A-Za-z])((?:\W+[A-Za-z]+){0,5}?\W+)"
                                r"([4-9]\d|[12]\d\d)\s?/\s?([2-9]\d|1\d\d)(?![\d/]|[.,]\d)(\s?mm\s?Hg\b)?")
# The unit after the slash of a price or of another unit, "$3.49/gal.", "$12/lb", "50 lb/sq ft": per and the unit's
# singular name (the unit before the slash is read with its number).
_EN_PER_UNIT = {"gal": "gallon", "lb": "pound", "lbs": "pound", "oz": "ounce", "kg": "kilogram", "g": "gram",
                "sq ft": "square foot", "ft": "foot", "mi": "mile", "km": "kilometer", "hr": "hour", "h": "hour",
                "min": "minute", "mo": "month", "yr": "year", "wk": "week", "doz": "dozen", "qt": "quart", "pt": "pint",
                "kWh": "kilowatt hour", "person": "person", "night": "night", "day": "day", "m²": "square meter",
                "m³": "cubic meter", "ft²": "square foot", "L": "liter", "l": "liter", "s": "second", "sec": "second",
                "m": "meter"}
_EN_PER = re.compile(r"(?<=\d)(\s?(?:{})(?!\w))?\s?/\s?({})(\.)?(?![\w/²³])".format(
    "|".join(sorted(map(re.escape, _EN_UNITS), key=len, reverse=True)),
    "|".join(sorted(map(re.escape, _EN_PER_UNIT), key=len, reverse=True))))


def _en_money(match: re.Match) -> str:
    article, symbol, amount, scale = match.group(1) or "", match.group(2), match.group(3), match.group(4)
    one, many, cent, cents = _EN_CURRENCY[symbol]
    if scale:
        scale = _SCALE_WORDS.get(scale.lower(), scale.lower())
        # "a $3 billion deal": the amount is an adjective, so the unit stays singular
        return f"{article}{_en_number(amount)} {scale} {one if article else many}"
    whole, _, fraction = amount.partition(".")
    value = int(fraction.ljust(2, "0")[:2]) if fraction and cent else 0
    if int(whole) == 0 and value:  # "$0.99" ninety-nine cents
        return f"{article}{_en_number(str(value))} {cent if value == 1 else cents}"
    spoken = f"{_en_number(whole)} {one if whole == '1' else many}"
    if value:
        spoken += f" and {_en_number(str(value))} {cent if value == 1 else cents}"
    return article + spoken


def _en_year(year: str) -> str:
    return _words(int(year), "en", to="year").replace("-", " ")


def _en_phone(match: re.Match) -> str:
    """Digit by digit, group by group; a toll-free area code as hundreds ("one eight hundred")."""
    groups = re.findall(r"\d+", match.group())
    return ", ".join(_en_number(group) if re.fullmatch(r"[89]00", group) and i < len(groups) - 2
                     else " ".join(_en_number(d) for d in group) for i, group in enumerate(groups))


def _en_abbreviations(text: str) -> str:
    # Street suffixes first: "Elm Dr." is Drive, "Dr. Elm" Doctor; one before a capitalised word
    # ("Hello Dr. Smith", "St. Louis") is left to the titles below.
    def street(m: re.Match) -> str:
        after_suffix = m.string[m.end(3) if m.group(3) else m.end(2):]
        compass_word = re.match(r"\s+(?:North|South|East|West)", after_suffix)  # "Elm St. East"
        if m.group(2) in ("St", "Dr") and not m.group(4) and not compass_word \
                and re.match(r"\s+[A-Z][a-z]", after_suffix):
            return m.group()
        # a full stop that also ends the sentence (at the end, or before a capital) stays
        rest = m.string[m.end():]
        full_stop = (m.group(5) if m.group(4) else m.group(3)) and not compass_word \
            and (not rest.strip() or re.match(r"\s+[A-Z]", rest))
        compass = f" {_EN_COMPASS[m.group(4)]}" if m.group(4) else ""
        return f"{m.group(1)} {_EN_STREETS[m.group(2)]}{compass}" + ("." if full_stop else "")

    text = _EN_STREET.sub(street, text)
    text = _replace_abbreviations(_degree_sign(text), _EN_ABBREVIATIONS)
    days = "|".join(sorted(_EN_DAYS, key=len, reverse=True))
    text = re.sub(rf"\b({days})\.?\s?[–—-]\s?({days})\b\.?", lambda m: f"{_EN_DAYS[m.group(1)]}–{_EN_DAYS[m.group(2)]}", text)
    # ("the Sun." is the star)
    text = re.sub(rf"(?<!\bthe )\b({days})\.(?=\s|$|[,;)/–—-])", lambda m: _EN_DAYS[m.group(1)], text)
    text = re.sub(rf"\b({_EN_DAY_NAMES})\s?/\s?(?=(?:{_EN_DAY_NAMES})\b)", r"\1 and ", text)  # "Sat./Sun."
    text = re.sub(rf"\b({_EN_DAY_NAMES})\s?[–—-]\s?(?=(?:{_EN_DAY_NAMES})\b)", r"\1 through ", text)
    text = re.sub(r"\b({})\.(?=\s|$|[–—-])".format("|".join(_EN_WORDS)), lambda m: _EN_WORDS[m.group(1)], text)
    # a range of times, "7 a.m.–3 p.m." (the range finder below wants a digit before the dash)
    text = re.sub(r"\b([ap] m|[AP] M|noon|midnight)\s?[–—-]\s?(?=\d|noon|midnight)", r"\1 to ", text)
    text = re.sub(r"\b(\d+(?:st|nd|rd|th))\s?[–—-]\s?(?=\d+(?:st|nd|rd|th)\b)", r"\1 to ", text)  # "1st–3rd"
    return text


def _en_pairs(number: str) -> str:
    """A house number in pairs: "4218" forty-two eighteen, "9500" ninety-five hundred, "305" three oh five."""
    head, tail = _en_number(number[:-2]), number[-2:]
    if tail == "00":
        return f"{head} hundred"
    return f"{head} oh {_en_number(tail[1])}" if tail[0] == "0" else f"{head} {_en_number(tail)}"


def _en_blood_pressure(m: re.Match) -> str:
    systolic, diastolic = (_words(int(n), "en", to="year").replace("-", " ") for n in m.group(3, 4))
    return f"{m.group(1)}{m.group(2)}{systolic} over {diastolic}" + (" millimeters of mercury" if m.group(5) else "")


def _en_zip(zip_code: str) -> str:
    """A ZIP code digit by digit, 0 as "oh" ("nine oh two one oh"), ZIP+4's groups apart."""
    return ", ".join(" ".join("oh" if d == "0" else _en_number(d) for d in group) for group in zip_code.strip().split("-"))


def _en_state(m: re.Match) -> str:
    code, zip_code = m.group(1), m.group(2)
    if not zip_code:
        return m.group() if code in _EN_STATE_WORDS else _EN_STATES[code]
    return f"{_EN_STATES[code]} {_en_zip(zip_code)}"


def _en_places_and_durations(text: str) -> str:
    """Addresses (states, ZIP codes, house numbers), blood pressure, race times and the unit of a price."""
    text = _EN_STATE.sub(_en_state, text)
    text = _EN_ZIP.sub(lambda m: m.group(1) + _en_zip(m.group(2)), text)
    text = _EN_BLOOD_PRESSURE.sub(_en_blood_pressure, text)
    text = _EN_HOUSE_NUMBER.sub(lambda m: _en_pairs(m.group(1)), text)
    text = _DURATION.sub(lambda m: _duration_words(map(int, m.groups()), "en", lambda n, _: _en_number(str(n))), text)

    def per(m: re.Match) -> str:
        unit, per_unit, dot = m.groups()
        if unit and f"{unit.strip()}/{per_unit}" in _EN_UNITS:
            return m.group()  # a unit written with its slash, "MB/s"
        # a full stop that also ends the sentence stays
        rest = m.string[m.end():]
        full_stop = dot and (not rest.strip() or re.match(r"\s+[A-Z]", rest))
        return f"{unit or ''} per {_EN_PER_UNIT[per_unit]}" + ("." if full_stop else "")

    return _EN_PER.sub(per, text)


def _en_numbered_things(text: str) -> str:
    text = _romans(text, "en")
    text = _EN_RESOLUTION.sub(lambda m: " by ".join(_en_number(n) if n.endswith("000") else _en_pairs(n)
                                                    for n in m.groups()), text)
    text = _EN_SERVICE.sub(lambda m: " ".join(_en_number(d) for d in m.group()) if re.search(
        r"\b(?:[Cc]all|[Dd]ial|[Tt]ext|[Rr]ing|[Pp]hone|[Cc]ontact)\w*\s+(?:the\s+)?$", m.string[:m.start()])
        or re.match(_EN_SERVICE_AFTER, m.string[m.end():]) else m.group(), text)
    text = _EN_IDENTIFIER.sub(lambda m: m.group(1) + ("" if m.group(1).endswith(" ") else " ")
                              + _words(int(m.group(2)), "en", to="year"), text)
    text = _fractions(text, "en", _EN_UNITS)
    # "04/15/2025", "12/25": month first; a day over 12 or a year tells it from a fraction
    text = re.sub(r"(?<![\d/])(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?:/(\d{4}|\d{2}))?(?![\d/])",
                  lambda m: f"{_MONTHS.split('|')[int(m.group(1)) - 1]} {_words(int(m.group(2)), 'en', to='ordinal')}"
                  + (f", {_en_year(m.group(3) if len(m.group(3)) == 4 else '20' + m.group(3))}" if m.group(3) else "")
                  if m.group(3) or m.group(1).startswith("0") or int(m.group(2)) > 12 else m.group(), text)
    text = _versions(text, "en")
    text = _scores(text, "en")
    text = re.sub(r"\b((?:[A-Z]\.){2,})", lambda m: " ".join(m.group(1).replace(".", "")) + " ", text)
    text = _spell_mixed_case(text)
    text = _spell_acronyms(text, words=_EN_WORD_ACRONYMS, plurals=True)
    # "Nov. 5–7": a range of days in a month is November fifth to seventh
    text = re.sub(rf"\b({_MONTHS}) (\d{{1,2}})(?:st|nd|rd|th)?(?:\s?[–—-]\s?(\d{{1,2}})(?:st|nd|rd|th)?)?\b(?![:\d])",
                  lambda m: f"{m.group(1)} {_words(int(m.group(2)), 'en', to='ordinal')}" + (
                      f" to {_words(int(m.group(3)), 'en', to='ordinal')}" if m.group(3) else ""), text)
    text = re.sub(rf"\b((?:{_MONTHS}) [a-z-]+)\s?[–—-]\s?(?=(?:{_MONTHS})\b)", r"\1 to ", text)  # "Nov. 28–Dec. 2"
    text = _RANGE.sub(" to ", text)
    text = _hyphen_ranges(text, " to ")
    return text


def _en_phones_years_money(text: str) -> str:
    # Phone numbers before years ("555-1234" is not the year 1234): "(212) 555-0142", "1-800-555-0199".
    text = re.sub(r"(?<![\w.+\-])(?:\+?1[-\s])?(?:\(\d{3}\)\s?|\d{3}-)?\d{3}-\d{4}(?![\w\-]|[.,]\d)", _en_phone, text)
    text = re.sub(r"(?<![\w.+\-])(?:\+1[\s.-]\d{3}[\s.-]|\d{3}\.)\d{3}[\s.-]\d{4}(?![\w\-]|[.,]\d)",
                  lambda m: ("plus " if m.group().startswith("+") else "") + _en_phone(m), text)
    text = re.sub(r"(?<![\d.$])\b(1[1-9]\d0)s\b", lambda m: _en_year(m.group(1))[:-1] + "ies", text)
    text = re.sub(r"(?<![\w.$])['’]?([2-9]0)s\b", lambda m: _en_number(m.group(1))[:-1] + "ies", text)  # "the '80s"
    # (not a side of a product or the result of a sum: "1200 × 800 mm", "100 × 20 = 2000")
    text = re.sub(r"(?<![\d.$])(?<![×=]\s)(?<![×=])\b(1[1-9]\d\d|20\d\d)\b"
                  r"(?![.,]?\d|\s?(?:percent|people|[a-z]+meters|miles)|\s?[×x]\s?\d)",
                  lambda m: _en_year(m.group(1)), text)
    text = _THOUSANDS.sub("", text)
    text = _CODE.sub(lambda m: ", ".join(" ".join(_en_number(d) for d in part) for part in m.group().split("-")),
                     text)
    text = re.sub(rf"(\b[aA] )?([$€£¥])\s?({_NUMBER}){_SCALE}", _en_money, text)
    # A count with a scale letter before a plural noun: "50M units", "1.2B users" (not K: "a 5K run", "4K
    # video"; not a seat, room or gate: "Seat 14B is taken", "Gate 22B opens", "a 2B pencil")
    text = re.sub(rf"(?<![\w.,$€£¥])({_NUMBER})(M|B|bn|mn)(?=\s+(?!(?:has|was|is|does|its|this)\b)[a-z]{{2,}}s\b)",
                  lambda m: m.group() if re.search(_EN_PLACE_LABEL, m.string[:m.start()])
                  else f"{m.group(1)} {_SCALE_WORDS[m.group(2).lower()]}", text)
    text = re.sub(rf"(?<![\w.])[-−]({_NUMBER})(?=\s?°)", r"minus \1", text)
    text = re.sub(r"\s?°\s?C\b", " degrees Celsius", text)
    text = re.sub(r"\s?°\s?F\b", " degrees Fahrenheit", text)
    text = re.sub(r"(\d)\s?%", r"\1 percent", text)
    text = _TIME.sub(lambda m: _en_number(str(int(m.group(1)))) + (
        " o'clock" if m.group(2) == "00" else (" oh " if m.group(2)[0] == "0" else " ")
        + _en_number(str(int(m.group(2)))).replace("zero ", "")), text)
    return text


def _en_ers(m: re.Match) -> str:
    words = _en_number(m.group(1))
    return words + ("rs" if words.endswith("e") else "ers")  # "niners", "sixers"


def _en_ordinals_and_units(text: str) -> str:
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: _words(int(m.group(1)), "en", to="ordinal"), text)
    # a team or group named by a number and "-ers": "the 49ers" Forty-Niners, "the 76ers" Seventy-Sixers
    text = re.sub(r"(?<![\w.,])(\d{1,3})ers\b", _en_ers, text)
    units = "|".join(sorted(map(re.escape, _EN_UNITS), key=len, reverse=True))

    def unit(m: re.Match) -> str:
        name = _EN_UNITS[m.group(2)]
        # "a 15 W bulb": after an article the number and unit are an adjective, singular; so they are after
        # another determiner when a noun follows ("one 500 mg tablet", "the 100 km race", not "the 5 km to go"),
        # and so are dimensions before a noun ("a 2 by 4 ft board", "with 2 by 6 ft planks", "a 3 m by 4 m rug")
        head = m.string[:m.start()]
        before, after = re.sub(rf"(?:{_NUMBER}(?: ?(?:{units}))? by )+$", "", head), m.string[m.end():]
        noun = re.match(r"\s+([a-z]+)\b(?![-'’])", after)
        singular = m.group(1) == "1" or bool(re.search(r"\b(?:a|an|A|An)\s+$", before)) or bool(
            noun and noun.group(1) not in _EN_NOT_NOUNS and (before != head or re.search(_EN_DETERMINER, before)))
        return f"{m.group(1)} {_en_singular(name) if singular else name}"

    text = re.sub(r"(\d+) ?ft\.? (\d+) ?in\b\.?", r"\1 feet \2 inches", text)  # "5 ft 10 in"
    text = _dimensions(text, "en", _NUMBER, units)
    # "a 900-lb trailer", "a 5-kg bag": a number and unit joined by a hyphen are an adjective, singular
    text = re.sub(rf"({_NUMBER})-({units})\b(?!-?\d)", lambda m: f"{m.group(1)} {_en_singular(_EN_UNITS[m.group(2)])}", text)
    text = _seconds(text, "sec")
    # (a letter before an apostrophe is a word's, not a unit: "the 5 m's", "2 h'")
    text = re.sub(rf"({_NUMBER})\s?({units})(?!\w)(?!\.\w|['’]\w)", unit, text)
    text = re.sub(r"(?<![\w.])[-−](?=\d)", "minus ", text)
    text = _per(text, "en")
    text = _split_codes(text)
    text = re.sub(_NUMBER, lambda m: _en_number(m.group()), text)
    return text.replace("&", " and ")


# Where English says "and" inside a number ("one hundred and forty-eight", as num2words writes it): the
# Commonwealth. Elsewhere (US, Canada, the bare "en") the number is said without it and without the pause
# after "thousand": "one thousand two hundred fifty".
_EN_AND_REGIONS = frozenset("GB UK IE AU NZ IN ZA SG HK MY NG KE PK JM MT".split())
_EN_NUMBER_WORDS = "|".join(
    [_words(n, "en") for n in range(1, 20)] + [_words(n, "en") for n in range(20, 100, 10)]
    + [_words(n, "en", to="ordinal") for n in range(1, 20)] + [_words(n, "en", to="ordinal") for n in range(20, 100, 10)])
_EN_NUMBER_AND = re.compile(rf"\b(hundred|thousand|million|billion|trillion),? and (?=(?:{_EN_NUMBER_WORDS})\b)"
                            # (the comma num2words writes before a group of hundreds, not a writer's comma)
                            rf"|\b(thousand|million|billion|trillion), (?=(?:{_EN_NUMBER_WORDS})(?:[ -]\w+)? "
                            r"(?:hundred|thousand|million|billion)\b)")


_EN_PASSES = (_en_abbreviations, _en_places_and_durations, _en_numbered_things, _en_phones_years_money, _en_ordinals_and_units)


def _english(text: str, language: str = "en-US") -> str:
    """The passes in order: abbreviations first (their full stops would read as decimals), then
    the shapes of numbers, the plain numbers last. American English (every region but the
    Commonwealth ones) says numbers without "and": "one hundred forty-eight"."""
    for step in _EN_PASSES:
        text = step(text)
    region = language.replace("_", "-").split("-")[1].upper() if "-" in language.replace("_", "-") else ""
    return text if region in _EN_AND_REGIONS else _EN_NUMBER_AND.sub(lambda m: f"{m.group(1) or m.group(2)} ", text)
