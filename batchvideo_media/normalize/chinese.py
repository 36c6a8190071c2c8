"""Chinese: WeTextProcessing (`wetext`) after passes for what it reads as quantities but a listener
expects digit by digit (years, codes, rooms), 两 before measure words, units and currency symbols."""

from __future__ import annotations

import functools
import os
import re

from batchvideo_media.normalize.cjk import (
    _CJK_HYPHEN_RANGE,
    _COUNTER_HYPHEN,
    _DOTTED,
    _LEADING_ZERO,
    _LONG_DIGITS,
    _MODEL,
    _TILDES,
    _TIME_RANGE,
    _VERSION,
    _ampm,
    _cjk_blood_pressures,
    _cjk_equations,
    _cjk_fractions,
    _cjk_scores,
    _cjk_shapes,
    _currency_codes,
    _slash_dates,
)
from batchvideo_media.normalize.common import (
    _CODE,
    _ISO_DATE,
    _RANGE,
    _THOUSANDS,
    _hyphen_ranges,
    _spell_acronyms,
    _spell_mixed_case,
    _watt_hours,
)

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
_CN_UNITS = {"g": "克", "t": "吨", "l": "升", "mL": "毫升", "W": "瓦", "MW": "兆瓦", "GW": "吉瓦",
             "V": "伏", "mA": "毫安", "mAh": "毫安时", "Hz": "赫兹", "kHz": "千赫兹", "MHz": "兆赫兹", "GHz": "吉赫兹",
             "cal": "卡", "dB": "分贝", "mmHg": "毫米汞柱", "㎡": "平方米", "㎢": "平方公里", "㎞": "公里", "㎏": "千克"} | _watt_hours("千 兆 吉 太", "瓦时")
# A chain of numbers joined by ×, or by x or * where a unit of length ends it ("60x40x30cm": not "4x4"
# or a zoom's "10x").
_CN_TIMES = re.compile(r"\s?[×✕xX*＊]\s?")
_CN_NUMBER = r"\d+(?:\.\d+)?"
_CN_PRODUCT = re.compile(rf"{_CN_NUMBER}(?:[a-z]{{1,2}})?(?:\s?[×✕]\s?{_CN_NUMBER}(?:[a-z]{{1,2}})?)+"
                         rf"|(?<![A-Za-z\d.]){_CN_NUMBER}(?:\s?[xX*＊]\s?{_CN_NUMBER})+"
                         r"(?:(?:mm|cm|m)(?![A-Za-z])|(?=\s?(?:毫米|厘米|米|英寸|寸)))")
# The half of the day a time may start with (下午5点).
_ZH_DAY_HALF = "(?:上午|下午|中午|晚上|凌晨|早上|傍晚|次日|第二天)"
_CN_PLAY = r"比分|比赛|获胜|战胜|击败|取胜|胜|负|赢|输|不敌|战平|打平|落后|领先|逆转|对阵|进球|踢|球|队"


def _zh_codes(text: str) -> str:
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
    # A phone number whose last group is set off by a space ("010-6552 1234"): every group digit by digit.
    text = re.sub(r"(?<![\d.])0\d{2,3}-\d{3,4}\s\d{4}(?!\d)", lambda m: _digits_zh(m.group()), text)
    # A sprint time's hundredths after 秒 ("10秒98" 十秒九八) are said digit by digit, like a decimal's.
    text = re.sub(r"(?<=\d秒)(\d{1,2})(?![\d.])(?!\s*(?:[次个人名米分秒天年月日号岁元块%％]|公里))",
                  lambda m: _digits_zh(m.group(1)), text)
    # A room number is a label, said digit by digit ("501室" 五零一室, "1203房间").
    text = re.sub(r"(?<![\d.])\d{3,4}(?=\s?(?:室|房间|号房|会议室|教室|办公室|病房))", lambda m: _digits_zh(m.group()), text)
    # and so is a flat's number after its building or entrance ("2号楼1506" 一五零六)
    text = re.sub(r"(?:(?<=号楼)|(?<=单元)|(?<=[栋座幢]))\s?(\d{3,4})(?![\d.])(?!\s*(?:[人元个块名米吨%％]|平方))",
                  lambda m: _digits_zh(m.group(1)), text)
    return text


def _zh_times_and_years(text: str) -> str:
    text = _TIME_RANGE.sub(r"\1到", text)
    # and one whose second time has its half of the day, "上午9:00~下午5:00", "9点-晚上10点"
    text = re.sub(rf"(\d:\d\d|\d点半?|\d分)\s?[-‐–—{_TILDES}]\s?(?={_ZH_DAY_HALF}\d)", r"\1到", text)
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
    return text


def _cn_quantity(number: str) -> str:
    """A bare number as a quantity: wetext reads 110, 119 or 120 alone as a hotline (幺二零), not before 个."""
    words = _cn_number(f"{number}个")[:-1]
    return "二" if words == "两" else words


def _cn_product(m: re.Match) -> str:
    """A product or a size, "60×40×30厘米", "2m×3m": × is 乘, and the bare numbers are written out here (wetext
    reads the number after a chain's last × digit by digit before a unit, 六十乘四十乘三零厘米); a number with
    its unit's letters ("2m") is left to wetext, which reads it there as a quantity (两米)."""
    return "乘".join(term if not term.replace(".", "").isdigit() else _cn_quantity(term)
                    for term in _CN_TIMES.split(m.group()))


def _zh_scores_and_units(text: str) -> str:
    text = _cjk_equations(text, {"+": "加", "-": "减", "×": "乘", "÷": "除以"}, lambda left, minus, right: f"{left}等于{minus}{right}")
    text = _CN_PRODUCT.sub(_cn_product, text)
    text = _cjk_scores(text, lambda first, second: f"{first}比{second}", _CN_PLAY)
    text = _hyphen_ranges(text, "到", pattern=_CJK_HYPHEN_RANGE)  # "1500-2000元" (a code, "400-1234", is left to the reader below)
    text = _cjk_fractions(text, lambda whole, top, bottom: (f"{_cn_number(whole)}又" if whole else "")
                      + f"{_cn_number(bottom)}分之{_cn_number(top)}")
    text = _slash_dates(text, "月", "日")
    text = re.sub(r"(?<=\d)\s?(KB|MB|GB|TB)/s(?![A-Za-z])", lambda m: " ".join(m.group(1)) + "每秒", text)
    text = _CN_LETTER_UNITS.sub(lambda m: " ".join(m.group(1)), text)
    units = "|".join(map(re.escape, sorted(_CN_UNITS, key=len, reverse=True)))
    text = re.sub(rf"(?<=\d)\s?({units})(?![A-Za-z])", lambda m: _CN_UNITS[m.group(1)], text)
    # A blood pressure by its two names, as said (高压一百四，低压九十); wetext reads "120" alone as a hotline.
    text = _cjk_blood_pressures(text, lambda high, low: f"高压{_cn_quantity(high)}，低压{_cn_quantity(low)}")
    # A unit after 万 or 亿 ("38万km"), which wetext only reads straight after a digit.
    text = re.sub(r"(?<=\d[万亿])\s?(km|kg|m|t|kW|MW|GW|[kMGT]?Wh)(?![A-Za-z/])",
                  lambda m: {"km": "公里", "kg": "千克", "m": "米", "kW": "千瓦"}.get(
                      m.group(1), _CN_UNITS.get(m.group(1), m.group(1))), text)
    # A speed after 时速 is 时速一百二十公里 (wetext would add its own 每小时 before the number); with a verb
    # between them the unit is read in its written order, after the number: "时速达350km/h" 时速达三百五十公里每小时.
    text = re.sub(r"(时速|每小时)\s?(\d+(?:\.\d+)?)\s?(?:km/h|㎞/h|公里/小时)", r"\1\2公里", text)
    text = re.sub(r"(时速[^\d，。；！？,;!?]{1,4}?)\s?(\d+(?:\.\d+)?)\s?(?:km/h|㎞/h|公里/小时)", r"\1\2公里每小时", text)
    return text


def _zh_signs_and_ranges(text: str) -> str:
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
    return text


def _zh_money_then_wetext(text: str) -> str:
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


_ZH_PASSES = (_zh_codes, _zh_times_and_years, _zh_scores_and_units, _zh_signs_and_ranges, _zh_money_then_wetext)


def _chinese(text: str) -> str:
    """The passes in order (each needs what the one before wrote out), the last one wetext's."""
    for step in _ZH_PASSES:
        text = step(text)
    return text
