"""Shapes Chinese, Japanese and Korean share (fractions, slash dates, versions, scores, model and Roman
numerals, codes, long digit runs, currency codes, time symbols), each number then read by the language."""

from __future__ import annotations

import re

# The same range in CJK text, where the number follows a word with no space ("约3-5天").
_CJK_HYPHEN_RANGE = re.compile(r"(?<![A-Za-z\d.,\-−/])(\d+(?:[.,]\d+)*)\s?[-‐]\s?(\d+(?:[.,]\d+)*)(?![A-Za-z\d\-−/]|[.,]\d)")


# Each finder below hands the numbers it finds to the language's own words; where a library reads
# the shape wrongly (wetext reads "2/3" as a date-like split, Open JTalk drops "-" and reads
# "2.1.3" as a decimal), the shape is rewritten into the words a reader says before the library runs.

_CJK_VULGAR = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5), "⅗": (3, 5),
           "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8)}
# "2½", "⅓", and "2/3" when it can only be a fraction: the top smaller than the bottom and the bottom
# at most 10 or a power of ten ("3/15" or "12/25" is a date), not a chain ("1/2/3") nor a rate ("km/h").
_CJK_FRACTION = re.compile(r"(?<![\d/.])(?:(\d+)\s?)?(?:([½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞])|(?<!\d)(\d+)/(\d+)(?![\d/]|\.\d|\s?[(（]))")


def _cjk_fractions(text: str, say) -> str:
    """say(whole or None, top, bottom) gives the words: 三分之二, さんぶんのに, 삼분의 이."""
    def replace(m: re.Match) -> str:
        whole, vulgar, top, bottom = m.groups()
        if vulgar:
            top, bottom = _CJK_VULGAR[vulgar]
            return say(whole, top, bottom)
        if whole is not None:  # "2 2/3" is not written in running CJK text; "1/2" after a number is
            return m.group()
        top, bottom = int(top), int(bottom)
        if not 0 < top < bottom or not (bottom <= 10 or str(bottom).strip("0") == "1"):
            return m.group()
        return say(None, top, bottom)

    return _CJK_FRACTION.sub(replace, text)


# A blood pressure, "血压120/80", "血圧は120/80", "혈압 130/85mmHg": the higher number first, soon after the word.
_BLOOD_PRESSURE = re.compile(r"(?<=血压|血圧|혈압|血壓)([^\d/。！？.!?]{0,8}?)(\d{2,3})\s?/\s?(\d{2,3})(?![\d/]|\.\d)")


def _cjk_blood_pressures(text: str, say) -> str:
    """say(high, low) gives the words: 高压一百二十，低压八十, ひゃくにじゅうのはちじゅう, 백이십에 팔십; the
    number before the slash must be the higher, so a fraction or a date is never taken for one."""
    return _BLOOD_PRESSURE.sub(lambda m: m.group(1) + say(m.group(2), m.group(3)) if int(m.group(2)) > int(m.group(3))
                               else m.group(), text)


# A month and day with a slash, "3/15", "7/1(月)", where it is not a fraction (those are read first).
_SLASH_DATE = re.compile(r"(?<![\d/.])(1[0-2]|0?[1-9])/(3[01]|[12]\d|0?[1-9])(?![\d/]|\.\d)")


def _slash_dates(text: str, month: str, day: str) -> str:
    return _SLASH_DATE.sub(lambda m: f"{int(m.group(1))}{month}{int(m.group(2))}{day}", text)


# A version or a chain of dotted numbers, "2.1.3", "v1.10.2" (not a date: those are read first).
_DOTTED = re.compile(r"(?<![\d.])\d+(?:\.\d+){2,}(?![\d.]|\.\d)")
# A score, "3-1", "2:0": with a colon when the second number has one digit (a time has two), with a
# hyphen when the first is not smaller (a range goes up: "3-5天") or a word of play is near.
_SCORE = re.compile(r"(?<![\d.:\-/])(\d{1,3})\s?([-:‐–])\s?(\d{1,3})(?![\d.:\-/]|\.\d)")


def _cjk_scores(text: str, say, play: str) -> str:
    """say(first, second) gives the words: 三比一, さんたいいち, 삼 대 일."""
    def replace(m: re.Match) -> str:
        first, mark, second = m.groups()
        if mark == ":" and len(second) == 2:
            return m.group()  # a time
        if mark != ":" and int(first) < int(second) and not re.search(play, text):
            return m.group()  # a range
        return say(first, second)

    return _SCORE.sub(replace, text)


# A negative number not joined to a word or another number ("-5℃", "−0.2%"; not "GPT-4", "3-1").
_NEGATIVE = re.compile(r"(?<![A-Za-z\d.\-−])[-−](?=\d)")
# Aircraft (and other makers') model numbers are said digit by digit: "747" ななよんなな, "A320".
_MODEL = re.compile(r"(?:(?<=ボーイング)|(?<=エアバス)|(?<=波音)|(?<=空客)|(?<=보잉)|(?<=에어버스)|(?<=Boeing)|(?<=Airbus)"
                    r"|(?<=^[AB])|(?<=[^A-Za-z][AB]))(\s?)(\d{3})(?![\d.])")
# The wave dashes and tildes a range is written with: 〜 (U+301C, Japanese), ～ (U+FF5E, its full-width
# form on Windows), ~, and the swung dash and tilde operator some fonts' input gives.
_TILDES = "〜～~⁓∼"
# A time range "9:00-17:00", "10:00~22:00" (a hyphen there is not a minus): each language writes its own
# "to" here, before its time reader turns the times into words and a tilde no longer stands between digits.
_TIME_RANGE = re.compile(rf"(?<![\d:])(\d{{1,2}}:\d\d)\s?[-‐–—{_TILDES}]\s?(?=\d{{1,2}}:\d\d(?!\d))")
_CJK_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
# A Roman numeral before a regnal or ordinal word (エリザベスII世, 路易XIV世, 제II차): NFKC turns Ⅱ into II.
_CJK_ROMAN_BEFORE = re.compile(r"(?<![A-Za-z])([IVXLC]+)(?=\s?(?:世|期|章|巻|卷|部|次|型|号|類|类|级|級|세|차|기|장|권|형|호))")


def _cjk_roman(numeral: str) -> int:
    values = [_CJK_ROMAN[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


# "ver.2.0", "Ver 3": the abbreviation of version, said as the word (版本, バージョン, 버전).
_VERSION = re.compile(r"(?<![A-Za-z])[Vv]er\.?\s?(?=\d)")


# "3:30 pm", "9am": the half of the day goes before the time, as CJK says it (下午三点, 午後3時, 오후 3시).
_AMPM = re.compile(r"(?<![\d:])(\d{1,2})(:[0-5]\d)?\s?([AaPp])\.?[Mm]\.?(?![A-Za-z])")


def _ampm(text: str, am: str, pm: str, hour: str) -> str:
    return _AMPM.sub(lambda m: (pm if m.group(3) in "Pp" else am) + m.group(1) + (m.group(2) or hour), text)


# A run of nine or more digits with no separators is an id, account or phone number, never a
# quantity (CJK writes large quantities with 万/億/만): digit by digit.
_LONG_DIGITS = re.compile(r"(?<![\d,.])\d{9,}(?![\d,.])")
# Currency codes after or before an amount ("100 USD", "USD 100"), by each language's currency names.
_CURRENCY_CODES = re.compile(r"(?<![A-Za-z])(USD|EUR|JPY|CNY|RMB|KRW|GBP|HKD)\s?(\d+(?:\.\d+)?)(?![\d.])"
                             r"|(?<![\d.])(\d+(?:\.\d+)?)\s?(USD|EUR|JPY|CNY|RMB|KRW|GBP|HKD)(?![A-Za-z])")


def _currency_codes(text: str, names: dict[str, str], space: str = "") -> str:
    return _CURRENCY_CODES.sub(lambda m: f"{m.group(2) or m.group(3)}{space}{names[m.group(1) or m.group(4)]}", text)


# A number written with a leading zero is a code ("06236", "007"), said digit by digit.
_LEADING_ZERO = re.compile(r"(?<![\d.,:/\-])0\d{2,}(?![\d.]|[/:\-]\d)")
# A hyphen between a number's counter and the next number is a range, not a minus:
# "12月25日-1月3日", "3일-5일".
# "5月1日-5日", "5月1日—5月5日" (an em dash too, as Chinese writes a range of dates)
_COUNTER_HYPHEN = re.compile(r"(?<=\d)([\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3%％℃]{1,2})\s?[-‐–—]\s?(?=\d)")


def _cjk_shapes(text: str) -> str:
    """NFKC for the Roman-numeral characters and full-width digits, then Roman numerals as numbers."""
    import unicodedata

    text = "".join(unicodedata.normalize("NFKC", c) if "\u2160" <= c <= "\u217f" or "０" <= c <= "９" else c
                   for c in text)
    return _CJK_ROMAN_BEFORE.sub(lambda m: str(_cjk_roman(m.group(1))), text)



# The symbols of time after a number ("9.58s", "2h", "30min"), as the language's own word, which its
# reader then counts ("2時間" にじかん, "2시간" 두 시간); not after a product's name ("iPhone 6s").
_CJK_TIME_UNIT = re.compile(r"(?<![A-Za-z\d.])(\d+(?:\.\d+)?)\s?(ms|min|s|h)(?![A-Za-z])")


def _cjk_time_units(text: str, names: dict[str, str]) -> str:
    for _ in range(2):  # twice: "2h30min" has its minutes after the hours' letter
        text = _CJK_TIME_UNIT.sub(lambda m: m.group() if re.search(r"[A-Za-z]\s*$", m.string[:m.start()])
                                  else m.group(1) + names[m.group(2)], text)
    return text


# An equation, "3×4=12", "7-3=4": its signs are said as words, the hyphen as minus (not a score, "7-3"
# 七比三, nor a range); Open JTalk and wetext leave "=" or misread "-" and "÷" (八除二 is not 8÷2).
_EQUATION = re.compile(r"(?<![A-Za-z\d.=＝])(\d+(?:\.\d+)?(?:\s?[-−+＋×÷]\s?\d+(?:\.\d+)?)+)\s?[=＝]\s?([-−]?)(\d+(?:\.\d+)?)(?![\d.])")
_OPERATOR = re.compile(r"\s?([-−+＋×÷])\s?")
_OPERATOR_SIGNS = {"−": "-", "＋": "+"}


def _cjk_equations(text: str, operators: dict[str, str], equals) -> str:
    """operators: the words for + - × ÷; equals(left, minus, right) joins the sides with "is" (等于, は, 는),
    the right side read there too, where a later pass could take it for something else (112 a service number)."""
    def replace(m: re.Match) -> str:
        left = _OPERATOR.sub(lambda o: operators[_OPERATOR_SIGNS.get(o.group(1), o.group(1))], m.group(1))
        return equals(left, m.group(2), m.group(3))

    return _EQUATION.sub(replace, text)
