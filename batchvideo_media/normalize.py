"""What the TTS engine is given: numbers, symbols and abbreviations written out as people say them.

The subtitles keep the text as written; the spoken form is recorded next to it in the audio
manifest. Chinese numbers go through cn2an (years digit by digit, quantities with 万/千), English
ones through num2words, Japanese kanji become kana through pykakasi (espeak-ng's `ja` voice reads
kana but names every kanji "Chinese letter"). Other languages keep numbers, which espeak-ng and
neural servers read natively.
"""

from __future__ import annotations

import functools
import re

from batchvideo_media.text import strip_pictographs

_DECORATION = re.compile(r"[*_|^`\\<>{}\[\]~～〜#＃＊]+")
_RANGE = re.compile(r"(?<=[\d%％℃])\s*[~～〜–—]\s*(?=[-−]?[$¥￥€£]?\d)")  # not "-": dates and codes use it
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_CODE = re.compile(r"(?<![\d.])\d{3,}(?:-\d{2,})+(?![\d.])")  # phone numbers, ids: read digit by digit
_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")


def language_family(language: str) -> str:
    """zh (Mandarin, Cantonese…), ja, ko, en, or the bare language subtag for everything else."""
    base = language.lower().replace("_", "-").split("-")[0]
    if base in ("zh", "cmn", "yue", "wuu", "hak", "nan"):
        return "zh"
    return base


def spoken_form(text: str, language: str) -> str:
    """The sentence (or cue) as the TTS should receive it.

    Emoji and decorative symbols are dropped (espeak would name them: "grinning face", "tilde");
    numbers, currencies, percentages, ranges, dates, times and common abbreviations are written
    out for the language so the engine cannot misread them."""
    text = strip_pictographs(text)
    family = language_family(language)
    if family == "zh":
        text = _chinese(text)
    elif family == "ja":
        text = _japanese(text)
    elif family == "en":
        text = _english(text)
    else:
        text = _RANGE.sub(" - ", _THOUSANDS.sub("", text)) if family == "ko" else _RANGE.sub(" - ", text)
    text = _DECORATION.sub(" ", text)
    return re.sub(r"\s{2,}", " ", text).strip()


# --- Chinese ----------------------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"
_CN_CURRENCY = (("[¥￥]", "元"), (r"\$|US\$", "美元"), ("€", "欧元"), ("£", "英镑"), ("HK\\$", "港元"))


def _digits_zh(number: str) -> str:
    return "".join(_CN_DIGITS[int(d)] if d.isdigit() else " " for d in number)


def _chinese(text: str) -> str:
    import cn2an

    text = _THOUSANDS.sub("", text)
    text = _ISO_DATE.sub(r"\1年\2月\3日", text)
    text = _CODE.sub(lambda m: _digits_zh(m.group()), text)
    text = _TIME.sub(lambda m: f"{m.group(1)}点" + ("" if m.group(2) == "00" else f"{int(m.group(2))}分"), text)
    for symbol, unit in _CN_CURRENCY[::-1]:  # HK$ before $
        text = re.sub(rf"(?:{symbol})\s?(\d+(?:\.\d+)?)\s*([万亿]?)", rf"\1\2{unit}", text)
    text = _RANGE.sub("到", text)
    text = re.sub(r"(?<![\dA-Za-z.])[-−](\d+(?:\.\d+)?)\s*(?=℃|°C)", r"零下\1", text)
    text = text.replace("℃", "摄氏度").replace("°C", "摄氏度").replace("°", "度")
    text = re.sub(r"([A-Za-z])-(?=\d)", r"\1 ", text)  # "GPT-4" is not minus four
    text = re.sub(r"(?<![\dA-Za-z.])[-−](?=\d)", "负", text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*‰", r"千分之\1", text)
    text = text.replace("&", "和").replace("＆", "和")
    return cn2an.transform(text, "an2cn")


# --- English ----------------------------------------------------------------------------------

_EN_ABBREVIATIONS = [
    (r"\bDr\.(?=\s+[A-Z])", "Doctor"), (r"\bMr\.", "Mister"), (r"\bMrs\.", "Missus"), (r"\bMs\.", "Miz"),
    (r"\bProf\.(?=\s+[A-Z])", "Professor"), (r"\bSt\.(?=\s+[A-Z])", "Saint"), (r"\bvs\.?(?=\s)", "versus"),
    (r"\be\.g\.", "for example"), (r"\bi\.e\.", "that is"), (r"\betc\.", "et cetera"),
    (r"\bNo\.\s?(?=\d)", "number "), (r"#(?=\d)", "number "),
    (r"\b([ap])\.m\.", r"\1 m"), (r"\b([AP])M\b", r"\1 M"),
]
_EN_UNITS = {"km": "kilometers", "kg": "kilograms", "cm": "centimeters", "mm": "millimeters", "m": "meters",
             "mi": "miles", "mph": "miles per hour", "km/h": "kilometers per hour", "kW": "kilowatts",
             "MW": "megawatts", "GW": "gigawatts", "kWh": "kilowatt hours", "GB": "gigabytes", "TB": "terabytes",
             "MB": "megabytes", "lb": "pounds", "lbs": "pounds", "ft": "feet", "ml": "milliliters"}
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
           "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
_EN_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
                "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", "", "")}
_SCALE = r"(?:\s?(thousand|million|billion|trillion|[kKmMbB]n?)\b)?"
_SCALE_WORDS = {"k": "thousand", "m": "million", "b": "billion", "bn": "billion", "mn": "million"}
_NUMBER = r"\d+(?:\.\d+)?"


@functools.lru_cache(maxsize=None)
def _num2words():
    from num2words import num2words

    return num2words


def _en_number(number: str) -> str:
    words = _num2words()(float(number) if "." in number else int(number))
    return words.replace("-", " ") if "." not in number else words


def _en_money(match: re.Match) -> str:
    symbol, amount, scale = match.group(1), match.group(2), match.group(3)
    one, many, cent, cents = _EN_CURRENCY[symbol]
    if scale:
        scale = _SCALE_WORDS.get(scale.lower(), scale.lower())
        return f"{_en_number(amount)} {scale} {many}"
    whole, _, fraction = amount.partition(".")
    spoken = f"{_en_number(whole)} {one if whole == '1' else many}"
    if fraction and cent and int(fraction.ljust(2, "0")[:2]):
        value = int(fraction.ljust(2, "0")[:2])
        spoken += f" and {_en_number(str(value))} {cent if value == 1 else cents}"
    return spoken


def _en_year(year: str) -> str:
    return _num2words()(int(year), to="year").replace("-", " ")


def _english(text: str) -> str:
    for pattern, replacement in _EN_ABBREVIATIONS:
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"\b((?:[A-Z]\.){2,})", lambda m: " ".join(m.group(1).replace(".", "")) + " ", text)
    text = re.sub(rf"\b({_MONTHS})\.? (\d{{1,2}})\b(?!:)",
                  lambda m: f"{m.group(1)} {_num2words()(int(m.group(2)), to='ordinal')}", text)
    text = re.sub(r"(?<![\d.$])\b(1[1-9]\d0)s\b", lambda m: _en_year(m.group(1))[:-1] + "ies", text)
    text = re.sub(r"(?<![\d.$])\b(1[1-9]\d\d|20\d\d)\b(?![.,]?\d|\s?(?:percent|people|[a-z]+meters|miles))",
                  lambda m: _en_year(m.group(1)), text)
    text = _THOUSANDS.sub("", text)
    text = _CODE.sub(lambda m: ", ".join(" ".join(part) for part in m.group().split("-")), text)
    text = re.sub(rf"([$€£¥])\s?({_NUMBER}){_SCALE}", _en_money, text)
    text = _RANGE.sub(" to ", text)
    text = re.sub(rf"(?<![\w.])[-−]({_NUMBER})(?=\s?°)", r"minus \1", text)
    text = re.sub(r"\s?°\s?C\b", " degrees Celsius", text)
    text = re.sub(r"\s?°\s?F\b", " degrees Fahrenheit", text)
    text = re.sub(r"(\d)\s?%", r"\1 percent", text)
    text = _TIME.sub(lambda m: _en_number(str(int(m.group(1)))) + (
        " o'clock" if m.group(2) == "00" else (" oh " if m.group(2)[0] == "0" else " ")
        + _en_number(str(int(m.group(2)))).replace("zero ", "")), text)
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: _num2words()(int(m.group(1)), to="ordinal"), text)
    units = "|".join(sorted(map(re.escape, _EN_UNITS), key=len, reverse=True))
    text = re.sub(rf"({_NUMBER})\s?({units})\b(?!\.\w)",
                  lambda m: f"{m.group(1)} {_EN_UNITS[m.group(2)] if m.group(1) != '1' else _EN_UNITS[m.group(2)].rstrip('s')}",
                  text)
    text = re.sub(r"(?<![\w.])[-−](?=\d)", "minus ", text)
    text = re.sub(_NUMBER, lambda m: _en_number(m.group()), text)
    return text.replace("&", " and ")


# --- Japanese ---------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


_JA_PARTICLES = {"は": "わ", "へ": "え"}
# Words pykakasi reads as a greeting or otherwise wrongly inside a sentence.
_JA_READINGS = {"今日は": "きょうわ", "今日": "きょう"}


def _japanese(text: str) -> str:
    """Kanji → hiragana (espeak-ng reads kana), the topic/direction particles as pronounced, and
    the symbols espeak's Japanese voice drops (decimal point, percent)."""
    text = _THOUSANDS.sub("", text)
    text = re.sub(r"(\d)\.(\d)", r"\1てん\2", text)
    text = re.sub(r"(\d)\s?[%％]", r"\1パーセント", text)
    text = _RANGE.sub("から", text)
    out = []
    for token in _kakasi().convert(text):
        original, hira = token["orig"], token["hira"]
        if original in _JA_READINGS:
            out.append(_JA_READINGS[original])
        elif original in _JA_PARTICLES and out:
            out.append(_JA_PARTICLES[original])
        elif original.endswith("は") and len(original) > 1 and hira.endswith("は") and original != "こんにちは":
            out.append(hira[:-1] + "わ")
        else:
            out.append(hira)
    return "".join(out)
