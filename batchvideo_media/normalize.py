"""What the TTS engine is given: numbers, symbols and abbreviations written out as people say them.

The subtitles keep the text as written; the spoken form is recorded next to it in the audio
manifest and is what every engine (espeak-ng, Piper, the voice-cloning server) receives, so a
reading is the same whichever voice speaks. The work is done by TTS front-end libraries, chosen by
measurement on tests/data/readings.jsonl (figures in docs/narration.md):

- Chinese: WeTextProcessing's prebuilt FSTs (`wetext`, the front end CosyVoice uses), after a pass
  for what it reads as quantities but a listener expects digit by digit (years in ranges and
  titles, phone numbers), 两 before measure words (jieba's classifier tags) and currency symbols;
- Japanese: Open JTalk's dictionary and rules (`pyopenjtalk-plus`): kanji words, counters
  (1人 ひとり, 1日 ついたち, 3つ みっつ) and numbers to kana; particles as pronounced (は わ, へ え),
  after a pass for the shapes it misreads (times, phone groups, currency signs, units, ranges);
- Chinese, Japanese and Korean share finders for fractions, versions, scores, model and Roman
  numerals, codes and long digit runs, each number then read by the language;
- every other language: `num2words` (cardinals, ordinals, years, decimals) placed by the
  language's patterns for times, dates, ranges, phone numbers, money, percentages, units and
  abbreviations below.

Acronyms (two or three capitals, or capitals without a vowel) are spelled letter by letter in
every language, but for the few short ones a language says as words (RAM, ONU); the letters are read
by the language's own voice (in Korean, as Hangul). In en, de, fr and es Roman numerals, fractions,
versions, scores and service numbers are read by shared helpers (`_romans`, `_fractions`, …).
"""

from __future__ import annotations

import functools
import os
import re

from batchvideo_media.text import strip_pictographs

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
# A longer all-capitals word is said as a word when it can be (NASA, UNESCO, AIDS) and spelled when it
# cannot: no vowel (SNCF), three consonants in a row (HDMI), two at the end without an s (RATP), or
# three vowels in a row (IEEE).
_UNSAYABLE = re.compile(r"^[^AEIOUY]+$|[^AEIOUY]{3}|[^AEIOUYS]{2}$|[AEIOUY]{3}")
# Sayable ones that are spelled all the same by convention (the OECD's French and Spanish name).
_SPELLED = frozenset({"OCDE"})


def language_family(language: str) -> str:
    """zh (Mandarin, Cantonese…), ja, ko, en, or the bare language subtag for everything else."""
    base = language.lower().replace("_", "-").split("-")[0]
    if base in ("zh", "cmn", "yue", "wuu", "hak", "nan"):
        return "zh"
    return base


def spoken_form(text: str, language: str) -> str:
    """The sentence (or cue) as the TTS should receive it.

    Emoji and decorative symbols are dropped (espeak would name them: "grinning face", "tilde");
    numbers, currencies, percentages, ranges, dates, times, acronyms and common abbreviations
    are written out for the language so no engine can misread them."""
    text = strip_pictographs(text)
    family = language_family(language)
    handler = {"zh": _chinese, "ja": _japanese, "en": _english, "ko": _korean,
               "de": _german, "fr": _french, "es": _spanish}.get(family)
    if handler:
        text = handler(text)
    else:
        text = _RANGE.sub(" - ", text)
    text = _DECORATION.sub(" ", text)
    return re.sub(r"\s{2,}", " ", text).strip()


# The same range in CJK text, where the number follows a word with no space ("约3-5天").
_CJK_HYPHEN_RANGE = re.compile(r"(?<![A-Za-z\d.,\-−/])(\d+(?:[.,]\d+)*)\s?[-‐]\s?(\d+(?:[.,]\d+)*)(?![A-Za-z\d\-−/]|[.,]\d)")


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


def _spell_acronyms(text: str, letters: dict[str, str] | None = None, words: frozenset[str] = frozenset()) -> str:
    """`words`: the language's short acronyms said as words ("RAM" in English, "ONU" in Spanish and French)."""
    latin_words = re.findall(r"[A-Za-z]+", text)
    if len(latin_words) >= 3 and not any(w != w.upper() for w in latin_words):
        return text  # a shouted sentence is words, not initialisms

    def spell(m: re.Match) -> str:
        # capitals after a number are a unit ("35,000 MW"), unless the number is a time ("14:05 UTC")
        before = text[:m.start()]
        if re.search(r"\d $", before) and not re.search(r"\d:\d\d $", before):
            return m.group()
        if m.group() in words:
            return m.group()
        # "Henry VIII", "World War II": a Roman numeral after a name is not an initialism
        if set(m.group()) <= set("IVXLCDM") and set(m.group()) & set("IVX") \
                and re.search(r"[A-Z][a-z]+\s+$", text[:m.start()]):
            return m.group()
        if len(m.group()) >= 4 and not _UNSAYABLE.search(m.group()) and m.group() not in _SPELLED:
            return m.group()
        return "".join(letters[c] for c in m.group()) if letters else " ".join(m.group())

    return _ACRONYM.sub(spell, text)


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
    return _num2words()(number, lang=lang, **kwargs)


def _replace_abbreviations(text: str, table: list[tuple[str, str]]) -> str:
    for pattern, replacement in table:
        text = re.sub(pattern, replacement, text)
    return text


# --- Chinese, Japanese, Korean: shared shapes ----------------------------------------------------
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
# A time range "9:00-17:00" (a hyphen there is not a minus): the time reader sees "9:00 ~ 17:00".
_TIME_RANGE = re.compile(r"(?<![\d:])(\d{1,2}:\d\d)\s?[-‐–]\s?(?=\d{1,2}:\d\d(?!\d))")
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
_COUNTER_HYPHEN = re.compile(r"(?<=\d)([\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3%％℃]{1,2})\s?[-‐–]\s?(?=\d)")


def _cjk_shapes(text: str) -> str:
    """NFKC for the Roman-numeral characters and full-width digits, then Roman numerals as numbers."""
    import unicodedata

    text = "".join(unicodedata.normalize("NFKC", c) if "\u2160" <= c <= "\u217f" or "０" <= c <= "９" else c
                   for c in text)
    return _CJK_ROMAN_BEFORE.sub(lambda m: str(_cjk_roman(m.group(1))), text)


# --- Chinese ----------------------------------------------------------------------------------

# The symbols of time after a number ("9.58s", "2h", "30min"), as the language's own word, which its
# reader then counts ("2時間" にじかん, "2시간" 두 시간); not after a product's name ("iPhone 6s").
_CJK_TIME_UNIT = re.compile(r"(?<![A-Za-z\d.])(\d+(?:\.\d+)?)\s?(ms|min|s|h)(?![A-Za-z])")


def _cjk_time_units(text: str, names: dict[str, str]) -> str:
    for _ in range(2):  # twice: "2h30min" has its minutes after the hours' letter
        text = _CJK_TIME_UNIT.sub(lambda m: m.group() if re.search(r"[A-Za-z]\s*$", m.string[:m.start()])
                                  else m.group(1) + names[m.group(2)], text)
    return text


_CN_DIGITS = "零一二三四五六七八九"
_CN_CURRENCY = (("[¥￥]", "元"), (r"\$|US\$", "美元"), ("€", "欧元"), ("£", "英镑"), ("HK\\$", "港元"))
_YEAR = r"(?:1[0-9]\d\d|20\d\d)"
# A year is read digit by digit before 年, in a range ending in 年, and at the end of a title
# (《年鉴2024》); WeTextProcessing reads the last two as quantities.
# Two years in a range without 年 ("2020—2024") are years too, unless what follows counts them
# ("1500-2000元" is an amount).
_YEAR_END = r"(?![\d.])(?!\s*(?:[元块人个万千百亿名台件辆米克吨%％]|美元|公里|平方|英尺))"
_CN_YEAR = re.compile(rf"(?<![\d.]){_YEAR}(?=\s*(?:[—–~～〜-]\s*{_YEAR}\s*)?年|》)"
                      rf"|(?<![\d.]){_YEAR}(?=\s*[—–~～〜-]\s*{_YEAR}{_YEAR_END})"
                      rf"|(?<={_YEAR}[—–~～〜-]){_YEAR}{_YEAR_END}")
# 两, not 二, before a measure word or 万/千/亿 ("2次" 两次, "2万人" 两万人), but not in ordinals
# (第2次), dates (2月2日) or larger numbers, nor in a label of an address (2单元 二单元, like 2号楼 二号楼).
_CN_TWO = r"(?<![\d.第])2(?![\d.:])(?=\s*(?:[万千亿]|{}))"


@functools.lru_cache(maxsize=1)
def _cn_two() -> re.Pattern:
    """Classifiers from jieba's dictionary (words tagged q), plus the common ones it tags otherwise."""
    import jieba

    words = {"件", "只", "种", "辆", "条", "本", "块", "岁", "倍", "年", "点", "周", "小时", "分钟", "秒",
             # counted things jieba tags otherwise ("2栋楼" 两栋楼); not 层/楼/期 (二层 is the second floor)
             "间", "栋", "幢", "所", "项", "趟", "遍", "回", "个月", "颗", "枚", "双", "把", "支", "根", "首", "门",
             "艘", "头", "部", "瓶", "包", "吨", "升", "英里", "轮", "局", "套", "户", "份", "场", "架", "匹", "棵",
             "朵", "盏", "扇", "顶", "节", "封", "句", "笔", "处", "位", "名", "杯", "碗", "盒", "箱", "袋", "天", "人"}
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as dictionary:
        for line in dictionary:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "q" and len(parts[0]) <= 2:
                words.add(parts[0])
    return re.compile(_CN_TWO.format("|".join(sorted(words, key=len, reverse=True))))


@functools.lru_cache(maxsize=1)
def _wetext_zh():
    from wetext import Normalizer

    return Normalizer(lang="zh", operator="tn")


def _digits_zh(number: str) -> str:
    return "".join(_CN_DIGITS[int(d)] if d.isdigit() else " " for d in number)


def _cn_amount(amount: str) -> str:
    """"12.50" is said 十二点五 (元): trailing zeros of an amount are not read."""
    return amount.rstrip("0").rstrip(".") if "." in amount else amount


def _cn_number(number: str | int) -> str:
    return _wetext_zh().normalize(str(number))


# Data sizes and rates are said by their letters ("12GB" 十二G B), as Chinese speakers read them.
_CN_LETTER_UNITS = re.compile(r"(?<=\d)\s?(KB|MB|GB|TB|PB|[KMG]bps)(?![A-Za-z])")
# Units wetext leaves as letters ("100g", "60W"), said as Chinese names them.
_CN_UNITS = {"g": "克", "t": "吨", "l": "升", "mL": "毫升", "W": "瓦", "kWh": "千瓦时", "MW": "兆瓦", "GW": "吉瓦",
             "V": "伏", "mA": "毫安", "mAh": "毫安时", "Hz": "赫兹", "kHz": "千赫兹", "MHz": "兆赫兹", "GHz": "吉赫兹",
             "cal": "卡", "dB": "分贝", "㎡": "平方米", "㎢": "平方公里", "㎞": "公里", "㎏": "千克"}
_CN_PLAY = r"比分|比赛|获胜|战胜|击败|取胜|胜|负|赢|输|不敌|战平|打平|落后|领先|逆转|对阵|进球|踢|球|队"


def _chinese(text: str) -> str:
    # (wetext itself reads a mobile number, eleven digits, with 幺: only longer runs are taken here)
    text = _LONG_DIGITS.sub(lambda m: _digits_zh(m.group()) if len(m.group()) > 11 else m.group(), text)
    text = _ampm(_VERSION.sub("版本", _cjk_shapes(_THOUSANDS.sub("", text))), "上午", "下午", "点")
    text = _currency_codes(text, {"USD": "美元", "EUR": "欧元", "JPY": "日元", "CNY": "元", "RMB": "元", "KRW": "韩元",
                                  "GBP": "英镑", "HKD": "港元"})
    # Codes said digit by digit: after 邮编/编号/卡号…, and a train or flight number after its letters
    # ("G1234次" G一二三四次, "CA1234").
    text = re.sub(r"(邮编|邮政编码|编号|代码|账号|卡号|单号|工号|学号|房间号|密码|验证码)(\s?(?:[:：]|为|是)?\s?)(\d+)",
                  lambda m: m.group(1) + m.group(2) + _digits_zh(m.group(3)), text)
    text = re.sub(r"(?<=[A-Z])\d{3,}(?![\d.])", lambda m: _digits_zh(m.group()), text)
    # A room number is a label, said digit by digit ("501室" 五零一室, "1203房间").
    text = re.sub(r"(?<![\d.])\d{3,4}(?=\s?(?:室|房间|号房|会议室|教室|办公室|病房))", lambda m: _digits_zh(m.group()), text)
    # and so is a flat's number after its building or entrance ("2号楼1506" 一五零六)
    text = re.sub(r"(?:(?<=号楼)|(?<=单元)|(?<=[栋座幢]))\s?(\d{3,4})(?![\d.])(?!\s*(?:[人元个块名米吨%％]|平方))",
                  lambda m: _digits_zh(m.group(1)), text)
    text = _TIME_RANGE.sub(r"\1到", text)
    text = _COUNTER_HYPHEN.sub(r"\1到", text)
    text = _LEADING_ZERO.sub(lambda m: _digits_zh(m.group()), text)
    text = _ISO_DATE.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日", text)
    text = _CN_YEAR.sub(lambda m: _digits_zh(m.group()), text)
    text = re.sub(r"(?<=公元)(前?)(\d{1,4})(?=年)", lambda m: m.group(1) + _digits_zh(m.group(2)), text)  # 公元前二二一年
    text = re.sub(r"(?<=[零一二三四五六七八九])\s*-\s*(?=[零一二三四五六七八九])", "到", text)  # "1998-2003年"
    text = _DOTTED.sub(lambda m: "点".join(_cn_number(int(n)) for n in m.group().split(".")), text)
    text = _MODEL.sub(lambda m: m.group(1) + _digits_zh(m.group(2)), text)
    # Times as 点 and 分 (wetext reads "0:30" as the ratio 零比三十).
    text = re.sub(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])", lambda m: (
        "两" if int(m.group(1)) == 2 else _cn_number(int(m.group(1)))) + "点" + (
        f"{'零' if m.group(2)[0] == '0' else ''}{_cn_number(int(m.group(2)))}分" if int(m.group(2)) else ""), text)
    text = _cjk_scores(text, lambda first, second: f"{first}比{second}", _CN_PLAY)
    text = _hyphen_ranges(text, "到", pattern=_CJK_HYPHEN_RANGE)  # "1500-2000元" (a code, "400-1234", is left to the reader below)
    text = _cjk_fractions(text, lambda whole, top, bottom: (f"{_cn_number(whole)}又" if whole else "")
                      + f"{_cn_number(bottom)}分之{_cn_number(top)}")
    text = _slash_dates(text, "月", "日")
    text = re.sub(r"(?<=\d)\s?(KB|MB|GB|TB)/s(?![A-Za-z])", lambda m: " ".join(m.group(1)) + "每秒", text)
    text = _CN_LETTER_UNITS.sub(lambda m: " ".join(m.group(1)), text)
    units = "|".join(map(re.escape, sorted(_CN_UNITS, key=len, reverse=True)))
    text = re.sub(rf"(?<=\d)\s?({units})(?![A-Za-z])", lambda m: _CN_UNITS[m.group(1)], text)
    # A unit after 万 or 亿 ("38万km"), which wetext only reads straight after a digit.
    text = re.sub(r"(?<=\d[万亿])\s?(km|kg|m|t|kW|MW|GW|kWh)(?![A-Za-z/])",
                  lambda m: {"km": "公里", "kg": "千克", "m": "米", "kW": "千瓦", "kWh": "千瓦时"}.get(
                      m.group(1), _CN_UNITS.get(m.group(1), m.group(1))), text)
    # A speed after 时速 is 时速一百二十公里 (wetext would add its own 每小时).
    text = re.sub(r"(时速|每小时)\s?(\d+(?:\.\d+)?)\s?(?:km/h|㎞/h|公里/小时)", r"\1\2公里", text)
    # A range from a percentage, "10%-20%" (the hyphen is not a minus).
    text = re.sub(r"(?<=[%％])\s?[-‐–]\s?(?=\d)", "到", text)
    # A range of temperatures below zero, "-3~5℃" 零下三到五摄氏度.
    text = re.sub(r"(?<![A-Za-z\d.\-−])[-−](?=\d+(?:\.\d+)?\s*(?:[~～〜到至]|-\s*\d)\s*-?\d+(?:\.\d+)?\s*(?:℃|°C))",
                  "零下", text)
    # "-0.2%" is 负百分之零点二 (wetext puts the sign inside: 百分之负零点二).
    text = re.sub(r"(?<![A-Za-z\d.\-−])[-−](?=\d+(?:\.\d+)?\s?[%％])", "负", text)
    text = _spell_mixed_case(text)
    text = _CODE.sub(lambda m: _digits_zh(m.group()), text)
    # Ranges before 两: "1~2年" 一到两年 (两 needs the 2 to stand alone before its classifier).
    text = _RANGE.sub("到", text)
    text = re.sub(r"(\d[\u4e00-\u9fff]{1,2})\s*[~～〜]\s*(?=\d)", r"\1到", text)  # "9点~17点"
    text = _cn_two().sub("两", text)
    text = re.sub(r"(?<![\d.])2(?=\s?单元)", "二", text)  # (wetext itself writes 两单元)
    # 伊丽莎白二世: a regnal number is an ordinal, never 两 (wetext writes 两世).
    text = re.sub(r"(?<![\d.])(\d{1,2})(?=世)", lambda m: _cn_number(m.group(1)), text)
    # An amount before a currency's name, "12.50美元" 十二点五美元, read as an amount of 元 (wetext
    # reads "12.5美元" as a date and "120美元" as a hotline).
    text = re.sub(r"(?<![\d.])(\d+(?:\.\d+)?)\s?(美元|欧元|英镑|港元|日元|韩元|元)",
                  lambda m: _wetext_zh().normalize(f"{_cn_amount(m.group(1))}元")[:-1] + m.group(2), text)
    # A symbol after the amount and its scale, "4.5亿€" 四点五亿欧元
    text = re.sub(r"(?<=[\d万千][万亿])\s?(€|£|\$|[¥￥])", lambda m: {"€": "欧元", "£": "英镑", "$": "美元"}.get(m.group(1), "元"), text)
    for symbol, unit in _CN_CURRENCY[::-1]:  # HK$ before $
        # The amount is read as an amount of 元 (wetext reads "120美元" as the hotline 幺二零).
        text = re.sub(rf"(?:{symbol})\s?(\d+(?:\.\d+)?)\s*([万亿]?)",
                      lambda m, unit=unit: _wetext_zh().normalize(f"{_cn_amount(m.group(1))}{m.group(2)}元")[:-1] + unit,
                      text)
    text = re.sub(r"(?<=[零一二三四五六七八九])\s*[—–~～〜]\s*(?=[零一二三四五六七八九])", "到", text)
    text = re.sub(r"(?<![\dA-Za-z.])[-−](\d+(?:\.\d+)?)\s*(?=℃|°C)", r"零下\1", text)
    text = re.sub(r"([A-Za-z])-(?=\d)", r"\1 ", text)  # "GPT-4" is not minus four
    text = re.sub(r"(\d+(?:\.\d+)?)\s*‰", r"千分之\1", text)
    text = text.replace("&", "和").replace("＆", "和")
    text = _spell_acronyms(text)
    # An ordinal (第2名 第二名) is never 两, whatever read it: wetext itself writes 第两名.
    return re.sub(r"第两", "第二", _wetext_zh().normalize(text))


# --- English ----------------------------------------------------------------------------------

_EN_ABBREVIATIONS = [
    (r"\bDr\.(?=\s+[A-Z])", "Doctor"), (r"\bMr\.", "Mister"), (r"\bMrs\.", "Missus"), (r"\bMs\.", "Miz"),
    (r"\bProf\.(?=\s+[A-Z])", "Professor"), (r"\bMt\.(?=\s+[A-Z])", "Mount"), (r"\bJr\.", "Junior"),
    (r"\bSt\.(?=\s+[A-Z][a-z])", "Saint"), (r"\bvs\.?(?=\s)", "versus"),
    (r"\be\.g\.", "for example"), (r"\bi\.e\.", "that is"), (r"\betc\.", "et cetera"),
    (r"\bNo\.\s?(?=\d)", "number "), (r"#(?=\d)", "number "),
    (r"\b([ap])\.m\.", r"\1 m"), (r"\b([AP])M\b", r"\1 M"), (r"(?<=\d)([ap])m\b", r" \1 m"),
    (r"\b[Aa]pprox\.", lambda m: m.group()[0] + "pproximately"), (r"\bApt\.?(?=\s*\d)", "Apartment"),
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
_EN_STREET = re.compile(r"\b([A-Z][\w'’-]*|\d+(?:st|nd|rd|th)?)\s+({})(\.(?!\w)|\b(?![.\w]))".format(
    "|".join(_EN_STREETS)))
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
             "MW": "megawatts", "GW": "gigawatts", "kWh": "kilowatt hours", "GB": "gigabytes", "TB": "terabytes",
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
             "inch": "inches"}
_EN_SINGULAR = {"feet": "foot", "inches": "inch", "horsepower": "horsepower", "hertz": "hertz"}


def _en_singular(name: str) -> str:
    """"miles per hour" mile per hour, "square feet" square foot, "kilowatt hours" kilowatt hour."""
    head, per, tail = name.partition(" per ")
    words = head.split(" ")
    last = words[-1]
    words[-1] = _EN_SINGULAR.get(last, last[:-1] if last.endswith("s") else last)
    return " ".join(words) + (per + tail if per else "")


# Emergency and information lines said digit by digit ("call nine one one").
_EN_SERVICE = re.compile(r"(?<![\d.,$])\b(911|999|112|988|311|411|211|111)\b(?![.,]?\d|\s?%)")
# The words after a service number that show it is one ("the 911 call", "a 999 operator").
_EN_SERVICE_AFTER = r"\s+(?:emergency|hotline|line|operator|dispatch\w*|call\w*|centers?|centres?|system|services?)\b"
# Flight, room, route and model numbers of three or four digits said in pairs, as years are ("Flight 857"
# eight fifty-seven, "Boeing 747", "Room 305" three oh five, "A380", "RTX 4090").
_EN_IDENTIFIER = re.compile(r"(\b(?:Flight|flight|Boeing|Airbus|Room|room|Suite|suite|Bus|bus|Route|route|Train|train|"
                            r"Gate|gate|Platform|platform|Model|model|Porsche)\s+(?:[A-Z]{1,2}\s?)?|\b[A-Z]{2}\s|(?<=[A-Za-z])-?)"
                            r"([1-9]\d{2,3})(?![\d,]|\.\d)")
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December")
_EN_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
                "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", "", "")}
_SCALE = r"(?:\s?(thousand|million|billion|trillion|[kKmMbB]n?)\b)?"
_SCALE_WORDS = {"k": "thousand", "m": "million", "b": "billion", "bn": "billion", "mn": "million"}
_NUMBER = r"\d+(?:\.\d+)?"


def _en_number(number: str) -> str:
    words = _words(float(number) if "." in number else int(number), "en")
    return words.replace("-", " ") if "." not in number else words


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


def _seconds(text: str, unit: str) -> str:
    """"9.58 s", "12 s": the symbol for seconds, written as the language's abbreviation its units read.
    Only with a space or after a decimal: "the 80s" is a decade."""
    return re.sub(r"(?<![\w.,])(\d+[.,]\d+\s?|\d+\s)s\b(?!['’]|\.\w)", lambda m: m.group(1).rstrip() + " " + unit, text)


def _english(text: str) -> str:
    # Street suffixes first: "Elm Dr." is Drive, "Dr. Elm" Doctor; one before a capitalised word
    # ("Hello Dr. Smith", "St. Louis") is left to the titles below.
    def street(m: re.Match) -> str:
        if m.group(2) in ("St", "Dr") and re.match(r"\s+[A-Z][a-z]", m.string[m.end():]):
            return m.group()
        # a full stop that also ends the sentence (at the end, or before a capital) stays
        rest = m.string[m.end():]
        full_stop = m.group(3) and (not rest.strip() or re.match(r"\s+[A-Z]", rest))
        return f"{m.group(1)} {_EN_STREETS[m.group(2)]}" + ("." if full_stop else "")

    text = _EN_STREET.sub(street, text)
    text = _replace_abbreviations(text, _EN_ABBREVIATIONS)
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
    text = _romans(text, "en")
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
    text = _spell_acronyms(text, words=frozenset({"RAM", "ROM", "PIN", "SIM"}))
    # "Nov. 5–7": a range of days in a month is November fifth to seventh
    text = re.sub(rf"\b({_MONTHS}) (\d{{1,2}})(?:st|nd|rd|th)?(?:\s?[–—-]\s?(\d{{1,2}})(?:st|nd|rd|th)?)?\b(?![:\d])",
                  lambda m: f"{m.group(1)} {_words(int(m.group(2)), 'en', to='ordinal')}" + (
                      f" to {_words(int(m.group(3)), 'en', to='ordinal')}" if m.group(3) else ""), text)
    text = re.sub(rf"\b((?:{_MONTHS}) [a-z-]+)\s?[–—-]\s?(?=(?:{_MONTHS})\b)", r"\1 to ", text)  # "Nov. 28–Dec. 2"
    text = _RANGE.sub(" to ", text)
    text = _hyphen_ranges(text, " to ")
    # Phone numbers before years ("555-1234" is not the year 1234): "(212) 555-0142", "1-800-555-0199".
    text = re.sub(r"(?<![\w.+\-])(?:\+?1[-\s])?(?:\(\d{3}\)\s?|\d{3}-)?\d{3}-\d{4}(?![\w\-]|[.,]\d)", _en_phone, text)
    text = re.sub(r"(?<![\w.+\-])(?:\+1[\s.-]\d{3}[\s.-]|\d{3}\.)\d{3}[\s.-]\d{4}(?![\w\-]|[.,]\d)",
                  lambda m: ("plus " if m.group().startswith("+") else "") + _en_phone(m), text)
    text = re.sub(r"(?<![\d.$])\b(1[1-9]\d0)s\b", lambda m: _en_year(m.group(1))[:-1] + "ies", text)
    text = re.sub(r"(?<![\w.$])['’]?([2-9]0)s\b", lambda m: _en_number(m.group(1))[:-1] + "ies", text)  # "the '80s"
    text = re.sub(r"(?<![\d.$])\b(1[1-9]\d\d|20\d\d)\b(?![.,]?\d|\s?(?:percent|people|[a-z]+meters|miles))",
                  lambda m: _en_year(m.group(1)), text)
    text = _THOUSANDS.sub("", text)
    text = _CODE.sub(lambda m: ", ".join(" ".join(_en_number(d) for d in part) for part in m.group().split("-")),
                     text)
    text = re.sub(rf"(\b[aA] )?([$€£¥])\s?({_NUMBER}){_SCALE}", _en_money, text)
    text = re.sub(rf"(?<![\w.])[-−]({_NUMBER})(?=\s?°)", r"minus \1", text)
    text = re.sub(r"\s?°\s?C\b", " degrees Celsius", text)
    text = re.sub(r"\s?°\s?F\b", " degrees Fahrenheit", text)
    text = re.sub(r"(\d)\s?%", r"\1 percent", text)
    text = _TIME.sub(lambda m: _en_number(str(int(m.group(1)))) + (
        " o'clock" if m.group(2) == "00" else (" oh " if m.group(2)[0] == "0" else " ")
        + _en_number(str(int(m.group(2)))).replace("zero ", "")), text)
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: _words(int(m.group(1)), "en", to="ordinal"), text)
    units = "|".join(sorted(map(re.escape, _EN_UNITS), key=len, reverse=True))

    def unit(m: re.Match) -> str:
        name = _EN_UNITS[m.group(2)]
        # "a 15 W bulb": after an article the number and unit are an adjective, singular
        singular = m.group(1) == "1" or bool(re.search(r"\b(?:a|an|A|An)\s+$", m.string[:m.start()]))
        return f"{m.group(1)} {_en_singular(name) if singular else name}"

    text = re.sub(r"(\d+) ?ft\.? (\d+) ?in\b\.?", r"\1 feet \2 inches", text)  # "5 ft 10 in"
    # "a 900-lb trailer", "a 5-kg bag": a number and unit joined by a hyphen are an adjective, singular
    text = re.sub(rf"({_NUMBER})-({units})\b(?!-?\d)", lambda m: f"{m.group(1)} {_en_singular(_EN_UNITS[m.group(2)])}", text)
    text = _seconds(text, "sec")
    text = re.sub(rf"({_NUMBER})\s?({units})(?!\w)(?!\.\w)", unit, text)
    text = re.sub(r"(?<![\w.])[-−](?=\d)", "minus ", text)
    text = _per(text, "en")
    text = _split_codes(text)
    text = re.sub(_NUMBER, lambda m: _en_number(m.group()), text)
    return text.replace("&", " and ")


# --- Japanese ---------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _openjtalk():
    import pyopenjtalk

    return pyopenjtalk


def _hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


_JA_NUMERALS = set("〇一二三四五六七八九十百千万億兆０１２３４５６７８９")


# Digits one by one as a phone number is read (katakana, so Open JTalk takes ハチ as a word, not は+ち).
_JA_DIGITS = "ゼロ イチ ニー サン ヨン ゴー ロク ナナ ハチ キュウ".split()
# Phone numbers: a trunk 0 and three groups ("03-1234-5678", "0120-123-456", "090-1234-5678"),
# read group by group with の between.
_JA_PHONE = re.compile(r"(?<![\d\-])0\d{1,4}-\d{1,4}-\d{3,4}(?![\d\-])")
# Emergency and service numbers said digit by digit (119 いちいちきゅう); 110 is ひゃくとお.
_JA_SERVICE = re.compile(r"(?<![\d.,])(110|119|117|118|171|177|189)(?![\d.,]|\s?[人円個年月日時分秒%％度回歳A-Za-z])")
_JA_CURRENCY = {"$": ("ドル", "セント"), "US$": ("ドル", "セント"), "€": ("ユーロ", "セント"), "£": ("ポンド", "ペンス"),
                "¥": ("円", ""), "￥": ("円", ""), "₩": ("ウォン", "")}
# Units Open JTalk misreads or leaves as symbols ("2GB" つーじーびー, "㎡").
_JA_UNITS = {"m²": "平方メートル", "㎡": "平方メートル", "km²": "平方キロメートル", "㎢": "平方キロメートル",
             "cm²": "平方センチメートル", "m³": "立方メートル", "㎥": "立方メートル", "KB": "キロバイト", "kB": "キロバイト",
             "MB": "メガバイト", "GB": "ギガバイト", "TB": "テラバイト", "Mbps": "メガビーピーエス",
             "Gbps": "ギガビーピーエス", "kbps": "キロビーピーエス", "GHz": "ギガヘルツ", "MHz": "メガヘルツ",
             "kcal": "キロカロリー", "mAh": "ミリアンペアアワー", "km": "キロメートル", "㎞": "キロメートル",
             "kg": "キログラム", "㎏": "キログラム", "mg": "ミリグラム", "mL": "ミリリットル", "ml": "ミリリットル",
             "㎖": "ミリリットル", "cm": "センチメートル", "mm": "ミリメートル", "L": "リットル", "dL": "デシリットル"}
_JA_PLAY = r"試合|勝|敗|負け|引き分け|スコア|対戦|リード|得点|ゴール|決勝|逆転"
# Counters whose reading changes with the number ("3日" みっか, "2人" ふたり): in a range each number
# keeps its counter, "3〜5日" みっかからいつか.
_JA_IRREGULAR_COUNTERS = "日|人|つ"


def _ja_money(m: re.Match) -> str:
    unit, cent = _JA_CURRENCY[m.group(1)]
    whole, _, cents = m.group(2).partition(".")
    if cent and len(cents) == 2:  # "$12.50" 12ドル50セント
        return f"{whole}{unit}" + (f"{int(cents)}{cent}" if int(cents) else "")
    return f"{m.group(2)}{unit}"


def _ja_shapes(text: str) -> str:
    """What Open JTalk reads wrongly or not at all, written as a reader says it."""
    text = _LONG_DIGITS.sub(lambda m: "".join(_JA_DIGITS[int(d)] for d in m.group()), text)
    text = _ampm(_VERSION.sub("バージョン", _cjk_shapes(_THOUSANDS.sub("", text))), "午前", "午後", "時")
    text = _currency_codes(text, {"USD": "ドル", "EUR": "ユーロ", "JPY": "円", "CNY": "人民元", "RMB": "人民元",
                                  "KRW": "ウォン", "GBP": "ポンド", "HKD": "香港ドル"})
    text = _ISO_DATE.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日", text)
    text = _JA_PHONE.sub(lambda m: "の".join("".join(_JA_DIGITS[int(d)] for d in group)
                                             for group in m.group().split("-")), text)
    text = _COUNTER_HYPHEN.sub(r"\1〜", text)
    # Numbers that name, not count: after 番号/コード, or with a leading zero ("郵便番号は100-0001").
    text = re.sub(r"(番号|コード|ID)(\s?(?:[:：]|は|が)?\s?〒?\s?)(\d+(?:-\d+)*)", lambda m: m.group(1) + m.group(2).replace("〒", "")
                  + "の".join("".join(_JA_DIGITS[int(d)] for d in g) for g in m.group(3).split("-")), text)
    text = _LEADING_ZERO.sub(lambda m: "".join(_JA_DIGITS[int(d)] for d in m.group()), text)
    text = text.replace("±", "プラスマイナス")
    text = re.sub(r"(?<=\d)\s?°(?![CF])", "度", text)  # an angle
    text = _JA_SERVICE.sub(lambda m: "ヒャクトオ" if m.group(1) == "110"
                           else "".join(_JA_DIGITS[int(d)].rstrip("ー") for d in m.group(1)), text)
    text = _DOTTED.sub(lambda m: "点".join(str(int(n)) for n in m.group().split(".")), text)
    text = _MODEL.sub(lambda m: m.group(1) + "".join(_JA_DIGITS[int(d)].rstrip("ー") for d in m.group(2)), text)
    # An earthquake's magnitude, "M6.1" マグニチュード6.1 (not Apple's "M1").
    if re.search(r"地震|震度|震源|津波|余震", text):
        text = re.sub(r"(?<![A-Za-z])M\s?(?=\d(?:\.\d)?(?![\d.]))", "マグニチュード", text)
    symbols = "|".join(map(re.escape, sorted(_JA_CURRENCY, key=len, reverse=True)))
    text = re.sub(rf"({symbols})\s?(\d+(?:\.\d+)?)", _ja_money, text)
    text = re.sub(r"(\d+)\.(\d\d)\s?(ドル|ユーロ)", lambda m: f"{m.group(1)}{m.group(3)}"  # "12.50ドル"
                  + (f"{int(m.group(2))}セント" if int(m.group(2)) else ""), text)
    text = _TIME_RANGE.sub(r"\1〜", text)
    text = re.sub(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])",
                  lambda m: f"{int(m.group(1))}時" + (f"{int(m.group(2))}分" if int(m.group(2)) else ""), text)
    # Midnight is れいじ, as announcers say it (Open JTalk says ぜろじ except in 零時 alone).
    text = re.sub(r"(?<![\d.])0時", "レイジ", text)
    text = _cjk_scores(text, lambda first, second: f"{first}タイ{second}", _JA_PLAY)
    text = _cjk_fractions(text, lambda whole, top, bottom: (f"{whole}と" if whole else "") + f"{bottom}分の{top}")
    text = _slash_dates(text, "月", "日")
    text = re.sub(r"(?<=\d)\s?(KB|MB|GB|TB)/s(?![A-Za-z])", lambda m: _JA_UNITS[m.group(1)] + "毎秒", text)
    text = re.sub(r"\bNo\.\s?1(?!\d)", "ナンバーワン", text)
    text = re.sub(r"(時速\s?)?(\d+(?:\.\d+)?)\s?(?:km/h|㎞/h|キロ/時)", r"時速\2キロメートル", text)
    units = "|".join(map(re.escape, sorted(_JA_UNITS, key=len, reverse=True)))
    text = re.sub(rf"(?<=\d)\s?({units})(?![A-Za-z])", lambda m: _JA_UNITS[m.group(1)], text)
    text = re.sub(r"(?<=\d)\s*(?:°C|℃)", "度", text)
    text = _NEGATIVE.sub("マイナス", text)
    text = re.sub(r"(?<![\d.])20(?:歳|才)", "ハタチ", text)  # twenty years old is はたち, as NHK reads it
    # A range of weekdays, "月〜金" 月曜日から金曜日 (Open JTalk reads 月 alone as つき); not months ("1月〜3月").
    text = re.sub(r"(?<![\d０-９\u4e00-\u9fff])([月火水木金土日])(曜日?)?\s*[〜～~\-－]\s*([月火水木金土日])(曜日?)?(?![曜\u4e00-\u9fff])",
                  lambda m: f"{m.group(1)}{m.group(2) or '曜日'}から{m.group(3)}{m.group(4) or '曜日'}", text)
    # A range "3〜5日", "2020年〜2022年", "3-5日": から between them (Open JTalk drops the wave dash).
    text = re.sub(r"(?<=[\d年月日時分秒円%％度人個回歳])\s*[〜～~]\s*(?=\d)", "から", text)
    text = _hyphen_ranges(text, "から", pattern=_CJK_HYPHEN_RANGE)
    return re.sub(rf"(\d+)から(\d+)({_JA_IRREGULAR_COUNTERS})", r"\1\3から\2\3", text)


def _japanese(text: str) -> str:
    """Kana for the whole sentence (espeak-ng's `ja` voice reads kana but names every kanji
    "Chinese letter"): each word's dictionary reading, particles as pronounced, punctuation kept."""
    out = []
    text = _ja_shapes(_cjk_time_units(text, {"ms": "ミリ秒", "min": "分", "s": "秒", "h": "時間"}))
    for word in _openjtalk().run_frontend(text):
        if word["pos"] == "記号" and word["pron"] == "、":
            # Open JTalk turns every mark into a pause comma; the dashes of a phone number are one
            # (a voice would read "−" as minus)
            out.append("、" if word["string"] in "-−‐－" else word["string"])
        else:
            # The pronunciation has the sound changes of counters (ハッピャク, ジュップン) and
            # particles (は ワ, へ エ); its long-vowel marks are spelled as the reading spells them.
            pron, read = word["pron"].replace("’", ""), word["read"]
            if word["string"].startswith("十日"):
                read = read.replace("トウカ", "トオカ")  # 十日 is spelled とおか (the dictionary writes トウカ)
            if pron == read + "ー" and word["string"] in _JA_NUMERALS:
                # Open JTalk lengthens a one-mora digit before テン or another digit (ニー, ゴー), as in
                # a phone number; in a number ("12.5" じゅうにてんご) it is said short. Digits of a
                # phone number come long in the reading itself and keep it.
                pron = read
            elif len(pron) == len(read):
                # only where the reading spells a long vowel: ゼロ said レー stays れー
                pron = "".join(r if p == "ー" and r in "アイウエオ" else p for p, r in zip(pron, read))
            out.append(pron)
    return _hiragana("".join(out))


# --- Korean -----------------------------------------------------------------------------------

# Counters read with native numerals below 100 (세 개, 두 시, 다섯 명): g2pK's list of bound nouns
# plus 명, 시간, 사람, 잔, 장, 가지, 달.
_KO_NATIVE_COUNTERS = ("군데 권 개 그루 닢 대 두 마리 모 모금 발 발짝 방 번 벌 보루 살 술 시 시간 쌈 움큼 정 짝 채 척 첩 "
                       "축 켤레 톨 통 명 사람 잔 장 가지 달 배 병 곳 그릇 송이 알 조각 봉지 상자 바퀴 판 마디 걸음 줄").split()
_KO_ONES = ["", "한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉"]
_KO_TENS = ["", "열", "스물", "서른", "마흔", "쉰", "예순", "일흔", "여든", "아흔"]
# Latin letters as Korean says them (an acronym read by the Korean voice, not the English one).
_KO_LETTERS = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                       "에이 비 씨 디 이 에프 지 에이치 아이 제이 케이 엘 엠 엔 오 피 큐 알 에스 티 유 브이 더블유 엑스 와이 제트"
                       .split()))


# Units after a number, as Korean reads them (Sino-Korean numbers before them: 오 킬로미터).
_KO_UNITS = {"km": "킬로미터", "m": "미터", "cm": "센티미터", "mm": "밀리미터", "㎞": "킬로미터", "㎝": "센티미터",
             "㎜": "밀리미터", "km²": "제곱킬로미터", "m²": "제곱미터", "㎡": "제곱미터", "kg": "킬로그램", "㎏": "킬로그램",
             "g": "그램", "mg": "밀리그램", "t": "톤", "L": "리터", "l": "리터", "ml": "밀리리터", "mL": "밀리리터",
             "㎖": "밀리리터", "°C": "도", "℃": "도", "°": "도", "%": "퍼센트", "％": "퍼센트", "Hz": "헤르츠",
             "kHz": "킬로헤르츠", "MHz": "메가헤르츠", "GHz": "기가헤르츠", "KB": "킬로바이트", "kB": "킬로바이트",
             "MB": "메가바이트", "GB": "기가바이트", "TB": "테라바이트", "W": "와트", "kW": "킬로와트", "MW": "메가와트",
             "kWh": "킬로와트시", "V": "볼트", "mAh": "밀리암페어시", "ha": "헥타르"}
# Speeds are said with 시속/초속 before the number: "100km/h" 시속 백 킬로미터.
_KO_SPEEDS = {"km/h": ("시속", "킬로미터"), "㎞/h": ("시속", "킬로미터"), "m/s": ("초속", "미터"),
              "KB/s": ("초당", "킬로바이트"), "MB/s": ("초당", "메가바이트"), "GB/s": ("초당", "기가바이트")}
_KO_CURRENCY = {"$": "달러", "US$": "달러", "€": "유로", "¥": "엔", "£": "파운드", "₩": "원"}
# Sino-Korean words that begin like a native counter (달러 is not 달, 번지 is not 번).
_KO_NOT_COUNTERS = ("달러", "번지", "정도", "대학", "시즌", "개국", "개사", "개소", "개교")
# A number before 번 and one of these is a label, said in Sino-Korean: "3번 출구" 삼 번 출구 (세 번 is three times).
_KO_NUMBERED = r"출구|버스|게이트|타자|선수|홀|트랙|채널|국도|고속도로|문제|방|라인|승강장|창구|좌석|레인|테이블|카드|환자"
_KO_DIGITS = "공일이삼사오육칠팔구"  # digit by digit, 0 as 공 (phone numbers)
# Phone numbers: area or mobile prefix with 0 ("02-123-4567", "010-1234-5678") and the
# nationwide 15xx-18xx hotlines ("1588-1234").
_KO_PHONE = re.compile(r"(?<![\d\-])(?:0\d{1,2}-\d{3,4}-\d{4}|1[5-9]\d\d-\d{4})(?![\d\-])")


def _ko_native(n: int) -> str:
    return "스무" if n == 20 else _KO_TENS[n // 10] + _KO_ONES[n % 10]


def _ko_number(number: str) -> str:
    whole, _, fraction = number.partition(".")
    if fraction:  # digit by digit after 점, every digit said ("2.0" 이 점 영; num2words drops a final 0)
        return f"{_words(int(whole), 'ko')} 점 " + " ".join("영" if d == "0" else _words(int(d), "ko") for d in fraction)
    return _words(int(number), "ko")


# Service numbers said digit by digit (일일구), not as quantities: emergency and public lines.
_KO_SERVICE_NUMBERS = re.compile(r"(?<![\d.,])(112|119|114|110|120|182|1330|1339|1345|1366|1388)"
                                 r"(?![\d.,]|\s*[%명개원년월일시분초A-Za-z㎞㎡㎏℃°/])")  # "120km/h" is a quantity


# Rates and energy after a number, read as Korean reads them (오백 메가비피에스, 삼백 킬로칼로리).
_KO_UNITS.update({"kcal": "킬로칼로리", "cal": "칼로리", "kbps": "킬로비피에스", "Mbps": "메가비피에스",
                  "Gbps": "기가비피에스", "㎢": "제곱킬로미터", "㎖": "밀리리터", "MWh": "메가와트시", "ppm": "피피엠"})
# Word acronyms a Korean reads as a word, in Hangul (the voice would spell Latin letters).
_KO_WORD_ACRONYMS = {"NASA": "나사", "NATO": "나토", "UNESCO": "유네스코", "UNICEF": "유니세프", "OPEC": "오펙",
                     "FIFA": "피파", "ASEAN": "아세안", "APEC": "에이펙", "AIDS": "에이즈", "COVID": "코비드",
                     "IKEA": "이케아", "LEGO": "레고", "JPEG": "제이펙", "RAM": "램", "ROM": "롬", "LAN": "랜",
                     "SIM": "심", "PIN": "핀", "NAVER": "네이버", "KOSPI": "코스피", "KOSDAQ": "코스닥",
                     "SARS": "사스", "MERS": "메르스", "BRICS": "브릭스", "NAFTA": "나프타"}
_KO_PLAY = r"경기|이겼|이기|졌|승리|패배|패했|패하|비겼|무승부|스코어|득점|골|역전|리드|앞서|꺾|완승|완패|대승|대파"
# "20대" (in their twenties) is a decade of age, said in Sino-Korean (이십 대), not twenty machines.
_KO_MACHINES = r"차량|자동차|대수|버스|트럭|택시|비행기|항공기|컴퓨터|기계|로봇|드론|카메라|스마트폰|휴대폰"


def _ko_digits(number: str) -> str:
    return "".join(_KO_DIGITS[int(d)] for d in number)


def _ko_years(span: str) -> bool:
    """"1990-2000" is a range of years, not a 15xx-19xx hotline: both years, the second later."""
    first, _, second = span.partition("-")
    return len(first) == len(second) == 4 and 1900 <= int(first) < int(second) < 2100


def _ko_and(word: str) -> str:
    """"and" in a mixed number: 과 after a final consonant, 와 after a vowel (이와 이분의 일)."""
    return word + ("과" if (ord(word[-1]) - 0xAC00) % 28 else "와")


def _korean(text: str) -> str:
    text = _cjk_time_units(text, {"ms": "밀리초", "min": "분", "s": "초", "h": "시간"})
    text = _LONG_DIGITS.sub(lambda m: _ko_digits(m.group()), text)
    text = _ampm(_VERSION.sub("버전 ", _cjk_shapes(_THOUSANDS.sub("", text))), "오전 ", "오후 ", "시")
    text = _currency_codes(text, {"USD": "달러", "EUR": "유로", "JPY": "엔", "CNY": "위안", "RMB": "위안", "KRW": "원",
                                  "GBP": "파운드", "HKD": "홍콩달러"}, " ")
    # Dates written with dashes, slashes or dots: "2024-12-25", "2024.12.25".
    text = _ISO_DATE.sub(lambda m: f"{m.group(1)}년 {int(m.group(2))}월 {int(m.group(3))}일", text)
    text = _DOTTED.sub(lambda m: " 점 ".join(_ko_number(n) for n in m.group().split(".")), text)
    text = _MODEL.sub(lambda m: m.group(1) + _ko_digits(m.group(2)), text)
    text = _TIME_RANGE.sub(r"\1 ~ ", text)
    # A range of weekdays, "월~금" 월요일부터 금요일까지; not months or days ("3월~5월").
    text = re.sub(r"(?<![\d가-힣])([월화수목금토일])(?:요일)?\s*[~〜～\-]\s*([월화수목금토일])(?:요일)?(?![가-힣])",
                  r"\1요일부터 \2요일까지", text)
    text = _COUNTER_HYPHEN.sub(r"\1 ~ ", text)
    text = re.sub(r"(번호|코드)(\s?(?:[:：]|는|은|가)?\s?)(\d+)(?![\d\-])", lambda m: m.group(1) + m.group(2) + _ko_digits(m.group(3)), text)
    text = _LEADING_ZERO.sub(lambda m: _ko_digits(m.group()), text)
    text = text.replace("±", "플러스마이너스 ")
    text = _cjk_fractions(text, lambda whole, top, bottom: (f"{_ko_and(_ko_number(whole))} " if whole else "")
                      + f"{_ko_number(str(bottom))}분의 {_ko_number(str(top))}")
    text = _slash_dates(text, "월 ", "일")
    # Earthquake magnitude "M6.1" 규모 육 점 일.
    if re.search(r"지진|진도|진앙|진원|여진|쓰나미|해일", text):  # not Apple's "M1"
        text = re.sub(r"(?:규모\s?)?(?<![A-Za-z])M\s?(?=\d(?:\.\d)?(?![\d.]))", "규모 ", text)
    text = re.sub(r"(?<![A-Za-z])(" + "|".join(_KO_WORD_ACRONYMS) + r")(?![A-Za-z])",
                  lambda m: _KO_WORD_ACRONYMS[m.group(1)], text)
    text = _spell_mixed_case(text, _KO_LETTERS)
    # A model letter joined to its number: "S24" 에스 이십사, "A4" 에이 사.
    text = re.sub(r"(?<![A-Za-z])([A-Z])(?=\d|[공일이삼사오육칠팔구]{3})", lambda m: _KO_LETTERS[m.group(1)] + " ", text)
    text = re.sub(r"[(（]주[)）]|㈜", "주식회사 ", text)  # a company's legal form, as it is read
    text = _KO_SERVICE_NUMBERS.sub(lambda m: "".join(_KO_DIGITS[int(d)] for d in m.group()), text)
    text = _KO_PHONE.sub(lambda m: m.group() if _ko_years(m.group()) else ", ".join(
        "".join(_KO_DIGITS[int(d)] for d in group) for group in m.group().split("-")), text)
    text = _cjk_scores(text, lambda first, second: f"{_ko_number(first)} 대 {_ko_number(second)}", _KO_PLAY)
    text = re.sub(r"(?<![\d.])(\d{1,3})\s?대\s?(\d{1,3})(?![\d.])",  # a score written "3대 1"
                  lambda m: f"{_ko_number(m.group(1))} 대 {_ko_number(m.group(2))}", text)
    if not re.search(_KO_MACHINES, text):
        text = re.sub(r"(?<![\d.])([1-9]0)(?=\s?대)", lambda m: _ko_number(m.group(1)) + " ", text)
    # 만, 천 and 백 alone are one of them: "1만 원" 만 원, "1천만" 천만 (but 일억).
    text = re.sub(r"(?<![\d.])1\s?(?=[천백만])", "", text)
    text = _hyphen_ranges(text, " ~ ", pattern=_CJK_HYPHEN_RANGE)
    text = _RANGE.sub(" ~ ", text)
    # A range after a number's counter, "9시~17시", "3일~5일".
    text = re.sub(r"(\d\s?[가-힣]{1,2})\s*[~～〜]\s*(?=\d)", r"\1 ~ ", text)
    # A range before a native counter repeats it, "10~20명" 열 명에서 스무 명 (each number takes its form).
    counters = "|".join(sorted(_KO_NATIVE_COUNTERS, key=len, reverse=True))
    text = re.sub(rf"(\d{{1,2}}) ~ (\d{{1,2}})\s?({counters})(?![가-힣]*[일월년])", r"\1\3 ~ \2\3", text)
    text = text.replace(" ~ ", "에서 ")
    # Times after the ranges (a range's "~" needs the digits): "15:30" 열다섯 시 삼십 분.
    text = re.sub(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])",
                  lambda m: f"{int(m.group(1))}시" + (f" {int(m.group(2))}분" if int(m.group(2)) else ""), text)
    # A weekday in brackets after a date: "5일(화)" 오 일 화요일.
    text = re.sub(r"(?<=[일\d])\s*[(（]([월화수목금토일])[)）]", r" \1요일", text)
    # 6월 and 10월 drop a sound: 유월, 시월.
    text = re.sub(r"(?<![\d.])(6|10)\s?월", lambda m: "유월" if m.group(1) == "6" else "시월", text)
    symbols = "|".join(map(re.escape, sorted(_KO_CURRENCY, key=len, reverse=True)))

    def money(m: re.Match) -> str:
        unit, (whole, _, cents) = _KO_CURRENCY[m.group(1)], m.group(2).partition(".")
        if len(cents) == 2 and unit in ("달러", "유로"):  # "$12.50" 십이 달러 오십 센트
            return f"{whole} {unit}" + (f" {int(cents)} 센트" if int(cents) else "")
        return f"{m.group(2)} {unit}"

    text = re.sub(rf"({symbols})\s?(\d+(?:\.\d+)?)", money, text)
    text = re.sub(r"(\d+)\.(\d\d)\s?(달러|유로)", lambda m: f"{m.group(1)} {m.group(3)}"  # "12.50달러"
                  + (f" {int(m.group(2))} 센트" if int(m.group(2)) else ""), text)
    text = re.sub(r"(?<!\d)1\s?번째", "첫 번째", text)  # the first is 첫 번째, not 한 번째
    text = re.sub(rf"(?<![\d.])(\d+)\s?번(?=\s?(?:{_KO_NUMBERED}))", lambda m: f"{_ko_number(m.group(1))} 번", text)
    speeds = "|".join(map(re.escape, _KO_SPEEDS))
    text = re.sub(rf"(시속\s*|초속\s*)?(\d+(?:\.\d+)?)\s?({speeds})",
                  lambda m: f"{_KO_SPEEDS[m.group(3)][0]} {_ko_number(m.group(2))} {_KO_SPEEDS[m.group(3)][1]}", text)
    text = re.sub(r"(?<![\w.])[-−](?=\d+(?:\.\d+)?\s?(?:°C|℃|°|도))", "영하 ", text)
    text = _NEGATIVE.sub("마이너스 ", text)
    units = "|".join(map(re.escape, sorted(_KO_UNITS, key=len, reverse=True)))
    text = re.sub(rf"(\d+(?:\.\d+)?)\s?({units})(?![A-Za-z])",
                  lambda m: f"{_ko_number(m.group(1))} {_KO_UNITS[m.group(2)]}", text)
    text = _spell_acronyms(text, _KO_LETTERS)
    counters = "|".join(sorted(_KO_NATIVE_COUNTERS, key=len, reverse=True))
    not_counters = "|".join(_KO_NOT_COUNTERS)
    text = re.sub(rf"(?<![\d.제])(\d{{1,2}})\s?(?!{not_counters})({counters})(?![가-힣]*[일월년])",
                  lambda m: f"{_ko_native(int(m.group(1)))} {m.group(2)}" if 0 < int(m.group(1)) < 100
                  else m.group(), text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s?(?=[가-힣])", lambda m: _ko_number(m.group(1)) + " ", text)
    return re.sub(r"\d+(?:\.\d+)?", lambda m: _ko_number(m.group()), text)


# --- Shared by the Latin-script languages ------------------------------------------------------

_ROMAN = re.compile(r"(?<![\w.])(M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))(?![\w])"
                    r"|(?<![\w.])([CLXVI]+)(?=(?:e|ème|è|er|re)\b)")
_ROMAN_NUMERAL = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
# A capitalised word before a numeral that counts things rather than naming a ruler: "World War II",
# "Teil III", "tome IV", "capítulo V" are read as cardinals; after a name the numeral is regnal.
_ROMAN_COUNTED = {
    "en": "War|Bowl|Part|Chapter|Volume|Vol|Act|Phase|Book|Level|Title|Article|Section|Stage|Class|Type|Apollo|Rocky|Episode",
    "de": "Teil|Band|Kapitel|Akt|Artikel|Abschnitt|Klasse|Stufe|Phase|Buch|Titel|Liga",
    "fr": "",  # French reads every regnal and counting numeral as a cardinal (Louis Quatorze, tome quatre)
    "es": "Parte|Tomo|Capítulo|Volumen|Acto|Libro|Artículo|Título|Fase",
}


_ARTICLES = {"de": ("der", "die", "das", "dem", "den", "des", "im", "am", "zum", "zur", "vom", "beim"),
             "es": ("el", "la", "los", "las", "del", "al")}


def _roman_value(numeral: str) -> int:
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


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
        # German: "Karl der Fünfte", "unter Karl dem Fünften", "für Karl den Fünften"
        word = _words(value, "de", to="ordinal").capitalize()
        governing = re.search(r"(\w+)\s+(?:[^\W\d_][\w-]*\s+)?$", before[:len(before) - len(previous) - 1] + " ")
        case = governing.group(1).lower() if governing else ""
        if case in ("mit", "von", "unter", "bei", "nach", "zu", "aus", "seit", "vor", "neben", "zwischen"):
            return f"der {word}n" if feminine else f"dem {word}n"
        if case in ("für", "gegen", "um", "durch", "ohne"):
            return f"die {word}" if feminine else f"den {word}n"
        return f"die {word}" if feminine else f"der {word}"

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
# Measure nouns of the other gender than the default (for "half": "une demi-heure", "media taza").
_FR_FEMININE = {"heure", "tasse", "cuillère", "livre", "bouteille", "douzaine", "journée", "page", "part", "pinte",
                "portion", "minute", "seconde", "tonne", "semaine", "année", "personne", "fois"} - {"fois"}
_ES_MASCULINE_A = {"día", "mapa", "problema", "programa", "sistema", "tema", "idioma", "clima", "planeta",
                   # the short names of data sizes stand for masculine nouns (megabyte): "setecientos megas"
                   "mega", "giga", "tera"}


def _es_feminine(noun: str) -> bool:
    noun = noun.lower()
    singular = re.sub(r"(?<=[ió]n)es$|(?<=d)es$", "", noun).rstrip("s") if noun.endswith("es") else noun.rstrip("s")
    return (singular.endswith("a") and singular not in _ES_MASCULINE_A) \
        or singular.endswith(("ción", "sión", "dad", "tad", "tud", "umbre"))


def _fractions(text: str, lang: str, units: dict[str, str] | None = None) -> str:
    """`units`: the language's unit abbreviations, written out after a fraction ("¾ l" drei Viertel Liter)."""
    def replace(m: re.Match) -> str:
        spoken = fraction(m)
        if spoken is None:
            return m.group()
        if not m.group("unit"):
            return spoken
        unit = units[m.group("unit")]
        if m.group(1):  # "2½ cups", "deux heures et demie" (the noun is placed below)
            return f"{spoken} {unit}"
        # less than one of the unit: "a quarter teaspoon", "trois quarts de litre", "tres cuartos de litro"
        singular = " ".join(w[:-1] if w.endswith("s") and i < 2 and w not in ("Celsius", "hertz") else w
                            for i, w in enumerate(unit.split(" ")))
        if lang == "en":
            return f"{spoken} {_en_singular(unit)}"
        if lang in ("fr", "es") and not spoken.endswith(("-", "medio", "media")):
            return f"{spoken} de {singular}"
        return f"{spoken}{'' if spoken.endswith('-') else ' '}{singular if lang != 'de' else unit}"

    unit_names = "|".join(sorted(map(re.escape, units or {}), key=len, reverse=True)) or "(?!)"
    pattern = re.compile(_FRACTION.pattern + rf"(?:\s?(?P<unit>{unit_names})(?!\w))?")

    def fraction(m: re.Match) -> str | None:
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
                return f"{'ein' if whole == '1' else _words(int(whole), 'de')}einhalb" if whole else "ein halb"
            name = _words(den, "de", to="ordinal")[:-1] + "el"  # "dritte" → "Drittel"
            spoken = f"{'ein' if num == 1 else _words(num, 'de')} {name.capitalize()}"
            return f"{_words(int(whole), 'de')} und {spoken}" if whole else spoken
        if lang == "fr":
            if den == 2 and num == 1:
                if whole:  # "\x01" marks where the noun goes: "deux heures et demie"
                    return f"{_words(int(whole), 'fr')}\x01demi"
                return ("une demi" if noun.lower().rstrip("s") in _FR_FEMININE else "un demi") + ("-" if noun else "")
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

    text = pattern.sub(replace, text)
    # "deux heures et demie", "dos horas y media": the noun comes before the half
    if lang == "fr":
        text = re.sub(r"\x01demi (?:d')?([^\W\d_]+)", lambda m: f" {m.group(1)} et demi"
                      + ("e" if m.group(1).lower().rstrip("s") in _FR_FEMININE else ""), text)
    if lang == "es":
        text = re.sub(r"\x01medi[oa] ([^\W\d_]+)", lambda m: f" {m.group(1)} y "
                      + ("media" if _es_feminine(m.group(1)) else "medio"), text)
    text = text.replace("\x01", {"fr": " et ", "es": " y "}.get(lang, " "))
    return re.sub(r"\bdemi-\s+", "demi-", text) if lang == "fr" else text


# --- German, French, Spanish --------------------------------------------------------------------

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
                          (r"(?<![\d,])(?<=1 )J\.", "Jahr"), (r"(?<=\d )J\.", "Jahre"), (r"\bt(?:ä)?gl\.", "täglich"), (r"\bmtl\.", "monatlich"),
                          (r"\bwöch(?:entl)?\.", "wöchentlich"), (r"\bjährl\.", "jährlich"), (r"\bmind\.", "mindestens"), (r"\bmax\.", "maximal"),
                          (r"\bv\.\s?Chr\.", "vor Christus"), (r"\bn\.\s?Chr\.", "nach Christus"),
                          (r"\bi\.\s?d\.\s?R\.", "in der Regel"), (r"\bz\.\s?T\.", "zum Teil"),
                          (r"\bo\.\s?g\.", "oben genannt"), (r"\bu\.\s?U\.", "unter Umständen")],
        "units": {"km": "Kilometer", "m": "Meter", "cm": "Zentimeter", "kg": "Kilogramm", "g": "Gramm",
                  "km/h": "Kilometer pro Stunde", "W": "Watt", "kW": "Kilowatt", "kWh": "Kilowattstunden",
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
                     "Kilowattstunden": "Kilowattstunde", "Kilokalorien": "Kilokalorie",
                     "Milliamperestunden": "Milliamperestunde", "Millionen": "Million", "Milliarden": "Milliarde",
                     "Meilen pro Stunde": "Meile pro Stunde"},
        "currency": {"€": ("Euro", "Euro", ""), "$": ("Dollar", "Dollar", ""), "£": ("Pfund", "Pfund", "")},
        "range": " bis ", "hour": "Uhr", "decimal": ",", "thousands": ".",
    },
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
                          (r"\bmax\.", "maximum"), (r"\bmin\.(?=\s)", "minimum"), (r"\bchap\.", "chapitre"),
                          (r"\bc\.\s?à\s?s(?:oupe|\.)", "cuillères à soupe"), (r"\bc\.\s?à\s?c(?:afé|\.)", "cuillères à café"), (r"\bapprox\.", "approximativement")],
        "units": {"km": "kilomètres", "m": "mètres", "cm": "centimètres", "kg": "kilogrammes", "g": "grammes",
                  "km/h": "kilomètres à l'heure", "W": "watts", "kW": "kilowatts", "kWh": "kilowattheures",
                  "GHz": "gigahertz", "Go": "gigaoctets", "l": "litres", "°C": "degrés Celsius", "%": "pour cent",
                  "m²": "mètres carrés", "km²": "kilomètres carrés", "m³": "mètres cubes", "mm": "millimètres",
                  "ml": "millilitres", "cl": "centilitres", "dl": "décilitres", "mg": "milligrammes", "t": "tonnes",
                  "min": "minutes", "mph": "miles à l'heure", "Mo": "mégaoctets", "To": "téraoctets",
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
                          (r"\bp\.\s?ej\.", "por ejemplo"), (r"\bS\.\s?A\.", "sociedad anónima"), (r"\bC/\s?", "calle "),
                          (r"\bPza\.", "plaza"), (r"\b[Tt]el\.", "teléfono"), (r"\btlf\.", "teléfono"),
                          (r"\bmáx\.", "máximo"), (r"\bmín\.", "mínimo"), (r"\bizq(?:da)?\.", "izquierda"),
                          (r"\bdcha\.", "derecha"), (r"\bprov\.", "provincia"), (r"\bEdo\.", "estado"),
                          (r"\bsept?\.", "septiembre"), (r"\bene\.", "enero"), (r"\bfeb\.", "febrero"),
                          (r"\bdic\.", "diciembre"), (r"\bExcmo\.", "excelentísimo"), (r"\bCía\.", "compañía"),
                          (r"\ba\.\s?C\.", "antes de Cristo"), (r"\bd\.\s?C\.", "después de Cristo"),
                          (r"\bSto\.", "santo"), (r"\bSta\.", "santa"), (r"\bIng\.", "ingeniero"),
                          (r"\bLic\.", "licenciado"), (r"\bGral\.", "general"), (r"\bPdte\.", "presidente")],
        "units": {"km": "kilómetros", "m": "metros", "cm": "centímetros", "kg": "kilos", "g": "gramos",
                  "km/h": "kilómetros por hora", "W": "vatios", "kW": "kilovatios", "kWh": "kilovatios hora",
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
_NBSP = "\u00a0\u202f"


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


# The ending of a German ordinal ("der dritte", "am dritten", "mein dritter") depends on the word
# before it. Where gender and case cannot be known, the nominative masculine is taken: "-er" after
# ein-words and with no article ("Berlin, zwölfter August"), "-e" after der/die/das.
_DE_EIN_WORDS = ("ein", "kein", "mein", "dein", "sein", "ihr", "unser", "euer")
_DE_DER_WORDS = ("dies", "jen", "jed", "welch")
_DE_WEAK_E = {"der", "die", "das"}
_DE_WEAK_N = {"dem", "den", "des", "am", "im", "vom", "zum", "zur", "beim", "bis", "ab", "seit"}
_DE_MONTHS = ("Januar Februar März April Mai Juni Juli August September Oktober November Dezember").split()
# A numeric date, "12.08.1990", "3.5.24", "am 12.08.": without a year only when the month has two
# digits or a word that governs a date comes before it ("Version 2.5." is not a date).
_DE_DATE = re.compile(r"(\b\w+,?\s+)?(?<![\d.,])(0?[1-9]|[12]\d|3[01])\.\s?(0?[1-9]|1[0-2])\.(?:\s?(\d{4}|\d{2}))?(?![\d])")


def _de_ordinal(number: int, before: str) -> str:
    word = _words(number, "de", to="ordinal")  # the weak form: "dritte"
    before = before.strip().lower()
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


def _de_date(m: re.Match) -> str:
    before, day, month, year = m.group(1) or "", int(m.group(2)), int(m.group(3)), m.group(4)
    if before.rstrip().rstrip(",") in _EU_DAYS["de"][0].values():
        # "Samstag, 14.6." is read "Samstag, (den) vierzehnten Juni": the accusative of a date
        return f"{before}{_words(day, 'de', to='ordinal')}n {_DE_MONTHS[month - 1]}" + (
            f" {_eu_number(year, 'de')}" if year else "")
    governed = before.strip().lower() in _DE_WEAK_N | _DE_WEAK_E or before.strip().lower().startswith(
        _DE_EIN_WORDS + _DE_DER_WORDS)
    if not year and len(m.group(3)) < 2 and not governed:
        return m.group()
    spoken = f"{before}{_de_ordinal(day, before)} {_DE_MONTHS[month - 1]}"
    return spoken + (f" {_eu_number(year, 'de')}" if year else "")


_EU_CURRENCY_WORDS = {"de": "Euro|Dollar|Pfund", "fr": "euros?|dollars?|livres?", "es": "euros?|dólares|dólar|libras?"}
_EU_CURRENCY_WORD_SYMBOL = {"euro": "€", "dollar": "$", "pfund": "£", "livre": "£", "dólar": "$", "dólare": "$",
                            "libra": "£"}
# "9,99 €/Monat", "$5/month": the slash of a rate is said ("pro Monat", "par mois", "al mes", "per month").
_PER = {"de": "pro", "fr": "par", "es": "por", "en": "per"}
_PER_WORDS = (r"month|year|day|week|hour|night|person|mois|an|année|jour|semaine|heure|nuit|personne|mes|año|día|"
              r"semana|hora|noche|persona|Monat|Jahr|Tag|Woche|Stunde|Nacht|Person|Stück|kg|km|m²")
_EU_CENTS = {"de": "Cent", "fr": "centimes", "es": "céntimos"}


def _per(text: str, lang: str) -> str:
    def replace(m: re.Match) -> str:
        if lang == "es" and re.match(r"(?:mes|año|día)\b", m.string[m.end():]):
            return " al "
        return f" {_PER[lang]} "

    return re.sub(rf"(?<=[\w€$£])\s?/\s?(?=(?:{_PER_WORDS})\b)", replace, text)


def _eu_money(m: re.Match | dict, lang: str) -> str:
    amount, symbol = m["amount"], m["symbol"]
    one, many, joiner = _EUROPEAN[lang]["currency"][symbol]
    whole, _, cents = re.sub(r"[.\s\u00a0\u202f](?=\d{3})", "", amount).partition(",")
    if int(whole) == 0 and cents and int(cents):  # "0,99 €" neunundneunzig Cent
        return f"{_words(int(cents.ljust(2, '0')[:2]), lang)} {_EU_CENTS[lang]}"
    noun = one if whole == '1' else many
    spoken = f"{_eu_agree(_eu_number(whole, lang, year=False), noun, lang)} {noun}"
    if cents and int(cents):
        spoken += f" {joiner + ' ' if joiner else ''}{_words(int(cents.ljust(2, '0')[:2]), lang)}"
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
    spoken = f"{_words(hour, lang)} {_EUROPEAN[lang]['hour'] if lang == 'de' or hour != 1 else 'heure'}"
    if lang == "fr" and hour == 1:
        spoken = "une heure"
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
_EU_WORD_ACRONYMS = {"de": frozenset({"UNO", "DAX", "ESA", "GAU"}),
                     "fr": frozenset({"ONU", "ENA", "CAF", "ESA", "PAC", "ZAD", "OPA", "CAC"}),
                     "es": frozenset({"ONU", "IVA", "ETA", "AVE", "ESA", "UCI", "MIR"})}
# Emergency and public service numbers, said digit by digit after the words that introduce a number
# ("wählen Sie die 112" eins eins zwei, "llame al 112" uno uno dos); French says them as numbers.
_EU_SERVICE = {"de": (r"110|112|115|116116|116117|19222", r"(?:die|der|Notruf\w*|unter|wählen|anrufen|Nummer|Rufnummer)"),
               "es": (r"112|091|092|016|061|062|010|024|060", r"(?:al|el|número|teléfono|marque|llame|llamar)")}
_SCORE_WORD = {"de": " zu ", "fr": " à ", "es": " a ", "en": " to "}
_POINT_WORD = {"de": " Punkt ", "fr": " point ", "es": " punto ", "en": " point "}
_MINUS_WORD = {"de": "minus ", "fr": "moins ", "es": "menos ", "en": "minus "}
# Feminine nouns for "eine"/"une"/"una": German by ending, French by ending and the measure nouns.
_DE_FEMININE = re.compile(r"(?:e|ung|heit|keit|schaft|ion|tät|ik|ie)$")
_FR_FEMININE_ENDING = re.compile(r"(?:tion|sion|ée|té|ure|elle|ette|ance|ence|ise|aine)s?$")
_FR_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
_ES_MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()


_EU_NOT_NOUNS = {"de": {"punkt", "komma", "zu", "bis", "mal"},
                 "fr": {"point", "virgule", "à", "et", "ou", "de", "du", "des", "sur", "pour", "par", "elle", "elles",
                        "il", "ils", "le", "la", "les", "en", "au", "aux", "qui", "que", "ce", "cette"},
                 "es": _ES_NOT_NOUN | {"punto", "coma", "menos", "más", "por", "sobre", "entre", "hasta"}}


def _eu_agree(words: str, noun: str, lang: str) -> str:
    """A cardinal before its noun: "ein Euro"/"eine Stunde", "une heure", "un kilómetro"/"una hora",
    "veintiún", "doscientas personas"."""
    if not noun or noun.lower() in _EU_NOT_NOUNS[lang]:
        return words
    if lang == "de":
        if words == "eins" and noun[:1].isupper():
            return "eine" if _DE_FEMININE.search(noun) else "ein"
        return words
    if lang == "fr":
        feminine = noun.lower().rstrip("s") in _FR_FEMININE or _FR_FEMININE_ENDING.search(noun.lower())
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
    return text


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


def _european(text: str, lang: str) -> str:
    spec = _EUROPEAN[lang]
    number = rf"\d{{1,3}}(?:[{re.escape(spec['thousands'])}{_NBSP}]\d{{3}})+(?:,\d+)?|\d+(?:,\d+)?"
    text = _eu_scales(text, lang, number)
    text = _eu_days(text, lang)
    text = _eu_months(text, lang)
    text = _replace_abbreviations(text, spec["abbreviations"])
    text = _romans(text, lang)
    text = _spell_mixed_case(text)
    text = _spell_acronyms(text, words=_EU_WORD_ACRONYMS[lang])
    text = _eu_phone(text, lang)
    text = _service_numbers(text, lang)
    # Times with a dot: "8.15 Uhr", "17.30 h", "a las 9.30" (before dates and versions read the dot).
    if lang == "de":
        text = re.sub(r"(?<![\d.])([01]?\d|2[0-3])\.([0-5]\d)\s?Uhr\b", lambda m: _eu_time(m, lang), text)
        text = re.sub(r"(\bum\s+)([01]?\d|2[0-3])\.([0-5]\d)(?![\d.])",
                      lambda m: m.group(1) + _eu_time(re.match(r"(\d+)\D(\d+)", f"{m.group(2)}:{m.group(3)}"), lang), text)
    if lang == "es":
        text = re.sub(r"(?<![\d.])([01]?\d|2[0-3])\.([0-5]\d)\s?h\b", lambda m: _eu_time(m, lang), text)
        text = re.sub(r"(\blas?\s+)([01]?\d|2[0-3])[.:]([0-5]\d)(?![\d.:])",
                      lambda m: m.group(1) + _eu_time(re.match(r"(\d+)\D(\d+)", m.group(2) + ":" + m.group(3)), lang),
                      text)
    if lang == "de":
        text = _DE_DAY_RANGE.sub(_de_day_range, text)
        text = _DE_DATE.sub(_de_date, text)
    text = _fractions(text, lang, spec["units"])
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
    hour_word = spec["hour"] + ("|h" if lang == "es" else "")  # "de 9:00 a 14:00 h"
    text = re.sub(rf"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?:\s?(?:{hour_word})\b)?",
                  lambda m: _eu_time(m, lang) + (f" {spec['hour']}" if lang == "es" and m.group(2) == "00"
                                                 and int(m.group(1)) != 1 else ""),
                  text)
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
        text = re.sub(r"(\b\w+[,;]?\s+|^)(\d{1,2})\.(?=\s+[A-ZÄÖÜ])",
                      lambda m: m.group(1) + _de_ordinal(int(m.group(2)), m.group(1).rstrip(",; ")), text)
    elif lang == "fr":
        text = re.sub(r"\b1(?:er|re)\b", lambda m: "premier" if m.group().endswith("er") else "première", text)
        text = re.sub(r"\b(\d+)(?:e|ème|è)\b", lambda m: _words(int(m.group(1)), lang, to="ordinal"), text)
    else:
        text = re.sub(r"\b(\d+)\.?(?:([ºª])|(er)\b|(era)\b)", _es_ordinal, text)
    if lang == "es":  # "la 1", "a la 1 de la tarde": the hour is feminine
        text = re.sub(r"\b([Ll]a)\s+1(?![\d.,:])", r"\1 una", text)
    # Negative numbers: "-7 °C" minus sieben, moins sept, menos siete.
    text = re.sub(r"(?<![\w.,\-−/])[-−](?=\d)", _MINUS_WORD[lang], text)
    units = "|".join(sorted(map(re.escape, spec["units"]), key=len, reverse=True))

    def unit(m: re.Match) -> str:
        name = spec["units"][m.group(2)]
        if m.group(1) != "1":
            return f"{_eu_agree(_eu_number(m.group(1), lang), name.split(' ')[0], lang)} {name}"
        if lang == "de":
            name = spec["singular"].get(name, name)
        else:  # "un kilomètre", "un metro cuadrado", "una hora"
            name = " ".join(w[:-1] if w.endswith("s") and w not in ("Celsius", "hertz", "gigahertz") and i < 2
                            and not (lang == "fr" and w in ("tiers",)) else w
                            for i, w in enumerate(name.split(" ")))
        return f"{_eu_agree(_eu_number('1', lang), name.split(' ')[0], lang)} {name}"

    if lang == "de":  # "ein 5-kg-Sack", "die 10-Liter-Flasche": the number and unit in a compound
        text = re.sub(rf"(?<![\w.,])({number})-({units})-(?=\w)",
                      lambda m: f"{_eu_number(m.group(1), lang)}-{spec['units'][m.group(2)]}-", text)
    text = re.sub(rf"({number})\s?({units})(?![\w])", unit, text)
    text = _split_codes(text)
    # (a year does not agree with the word after it: "en 2021 crecieron", "en 2021 elle")
    text = re.sub(rf"({number})(?=(\s+[^\W\d_]+)?)",
                  lambda m: _eu_number(m.group(1), lang) if re.fullmatch(r"1\d{3}|20\d\d", m.group(1))
                  else _eu_agree(_eu_number(m.group(1), lang), (m.group(2) or "").strip(), lang), text)
    return text.replace("&", {"de": " und ", "fr": " et ", "es": " y "}[lang])


def _german(text: str) -> str:
    return _european(text, "de")


def _french(text: str) -> str:
    return _european(text, "fr")


def _spanish(text: str) -> str:
    return _european(text, "es")
