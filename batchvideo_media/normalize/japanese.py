"""Japanese: Open JTalk's readings in kana, after a pass for the shapes it misreads."""

from __future__ import annotations

import functools
import re

from batchvideo_media.normalize.cjk import (
    _CJK_HYPHEN_RANGE,
    _COUNTER_HYPHEN,
    _DOTTED,
    _LEADING_ZERO,
    _LONG_DIGITS,
    _MODEL,
    _NEGATIVE,
    _TILDES,
    _TIME_RANGE,
    _VERSION,
    _ampm,
    _cjk_blood_pressures,
    _cjk_equations,
    _cjk_fractions,
    _cjk_scores,
    _cjk_shapes,
    _cjk_time_units,
    _currency_codes,
    _slash_dates,
)
from batchvideo_media.normalize.common import _ISO_DATE, _THOUSANDS, _hyphen_ranges, _watt_hours


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
_JA_SERVICE = re.compile(r"(?<![\d.,])(110|119|117|118|171|177|189)(?![\d.,/]|\s?[人円個年月日時分秒%％度回歳A-Za-z])")
_JA_CURRENCY = {"$": ("ドル", "セント"), "US$": ("ドル", "セント"), "€": ("ユーロ", "セント"), "£": ("ポンド", "ペンス"),
                "¥": ("円", ""), "￥": ("円", ""), "₩": ("ウォン", "")}
# Units Open JTalk misreads or leaves as symbols ("2GB" つーじーびー, "㎡").
_JA_UNITS = {"m²": "平方メートル", "㎡": "平方メートル", "km²": "平方キロメートル", "㎢": "平方キロメートル",
             "cm²": "平方センチメートル", "m³": "立方メートル", "㎥": "立方メートル", "KB": "キロバイト", "kB": "キロバイト",
             "MB": "メガバイト", "GB": "ギガバイト", "TB": "テラバイト", "Mbps": "メガビーピーエス",
             "Gbps": "ギガビーピーエス", "kbps": "キロビーピーエス", "GHz": "ギガヘルツ", "MHz": "メガヘルツ",
             "kcal": "キロカロリー", "mAh": "ミリアンペアアワー", "km": "キロメートル", "㎞": "キロメートル",
             "kg": "キログラム", "㎏": "キログラム", "mg": "ミリグラム", "mL": "ミリリットル", "ml": "ミリリットル",
             "㎖": "ミリリットル", "cm": "センチメートル", "mm": "ミリメートル", "L": "リットル", "dL": "デシリットル"} | _watt_hours(
    "キロ メガ ギガ テラ", "ワットアワー")
_JA_PLAY = r"試合|勝|敗|負け|引き分け|スコア|対戦|リード|得点|ゴール|決勝|逆転"
# Counters whose reading changes with the number ("3日" みっか, "2人" ふたり, "7月" しちがつ, "9時" くじ): in a
# range each number keeps its counter, "3〜5日" みっかからいつか, "7〜9月期" しちがつからくがつき.
_JA_IRREGULAR_COUNTERS = "日|人|つ|月|時"
# What may stand before the hour that ends a range of times: the half of the day or the next day.
_JA_DAY_HALF = r"午前|午後|翌日?|翌朝"
_JA_KANJI_DIGITS = "〇一二三四五六七八九十百千"


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
    text = _cjk_equations(text, {"+": "タス", "-": "ヒク", "×": "カケル", "÷": "ワル"}, lambda left, minus, right: f"{left}は{'マイナス' if minus else ''}{right}")
    # An address's block after its district, "丸の内1-9-1": 丁目, 番 and 号 (いっちょうめきゅうばんいちごう),
    # not a range or a phone number (those start with 0).
    text = re.sub(r"(?<=[\u3040-\u30ff\u4e00-\u9fff])([1-9]\d?)-([1-9]\d{0,2})-([1-9]\d{0,3})(?![\d\-])",
                  r"\1丁目\2番\3号", text)
    text = _JA_PHONE.sub(lambda m: "の".join("".join(_JA_DIGITS[int(d)] for d in group)
                                             for group in m.group().split("-")), text)
    text = _COUNTER_HYPHEN.sub(r"\1〜", text)
    # Numbers that name, not count: after 番号/コード, or with a leading zero ("郵便番号は100-0001").
    text = re.sub(r"(番号|コード|ID)(\s?(?:[:：]|は|が)?\s?〒?\s?)(\d+(?:-\d+)*)", lambda m: m.group(1) + m.group(2).replace("〒", "")
                  + "の".join("".join(_JA_DIGITS[int(d)] for d in g) for g in m.group(3).split("-")), text)
    # A sprint time's hundredths with a leading zero ("10秒02" じゅうびょうぜろに): short digits, as in a decimal.
    text = re.sub(r"(?<=\d秒)0(\d)(?![\d.])", lambda m: "ゼロ" + _JA_DIGITS[int(m.group(1))].rstrip("ー"), text)
    text = _LEADING_ZERO.sub(lambda m: "".join(_JA_DIGITS[int(d)] for d in m.group()), text)
    text = text.replace("±", "プラスマイナス")
    text = re.sub(r"(?<=\d)\s?°(?![CF])", "度", text)  # an angle
    text = _JA_SERVICE.sub(lambda m: "ヒャクトオ" if m.group(1) == "110"
                           else "".join(_JA_DIGITS[int(d)].rstrip("ー") for d in m.group(1)), text)
    # A blood pressure is said with の, 上 の 下 ("120/80" ひゃくにじゅうのはちじゅう).
    text = _cjk_blood_pressures(text, lambda high, low: f"{high}の{low}")
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
    # 対 between two numbers is a score or ratio, たい like "2-1" ("3対2", "男女比は1対3"): Open JTalk
    # takes "2対" as a pair (につい).
    text = re.sub(rf"(?<=[\d{_JA_KANJI_DIGITS}])\s?対\s?(?=[\d{_JA_KANJI_DIGITS}])", "タイ", text)
    text = _cjk_fractions(text, lambda whole, top, bottom: (f"{whole}と" if whole else "") + f"{bottom}分の{top}")
    text = _slash_dates(text, "月", "日")
    text = re.sub(r"(?<=\d)\s?(KB|MB|GB|TB)/s(?![A-Za-z])", lambda m: _JA_UNITS[m.group(1)] + "毎秒", text)
    text = re.sub(r"\bNo\.\s?1(?!\d)", "ナンバーワン", text)
    text = re.sub(r"(時速\s?)?(\d+(?:\.\d+)?)\s?(?:km/h|㎞/h|キロ/時)", r"時速\2キロメートル", text)
    units = "|".join(map(re.escape, sorted(_JA_UNITS, key=len, reverse=True)))
    text = re.sub(rf"(?<=\d)\s?({units})(?![A-Za-z])", lambda m: _JA_UNITS[m.group(1)], text)
    # A size's first side, "3m×4m": Open JTalk reads "m" after a number as metres, and its words after it
    # ("100m走" そう, "m/s" まいびょう), but before × as the letter, so only there is it written out.
    text = re.sub(r"(?<=\d)\s?m(?=\s?×\s?\d)", "メートル", text)
    text = re.sub(r"(?<=\d)\s*(?:°C|℃)", "度", text)
    text = _NEGATIVE.sub("マイナス", text)
    text = re.sub(r"(?<![\d.])20(?:歳|才)", "ハタチ", text)  # twenty years old is はたち, as NHK reads it
    return text


def _ja_ranges(text: str) -> str:
    """Ranges of weekdays, of numbers after a counter and of times, with から (and まで after times)."""
    # A range of weekdays, "月〜金" 月曜日から金曜日 (Open JTalk reads 月 alone as つき); not months ("1月〜3月").
    text = re.sub(rf"(?<![\d０-９\u4e00-\u9fff])([月火水木金土日])(曜日?)?\s*[{_TILDES}\-－]\s*([月火水木金土日])(曜日?)?(?![曜\u4e00-\u9fff])",
                  lambda m: f"{m.group(1)}{m.group(2) or '曜日'}から{m.group(3)}{m.group(4) or '曜日'}", text)
    # A range "3〜5日", "2020年〜2022年", "3-5日", "午前9時〜午後5時": から between them (Open JTalk
    # drops the wave dash); a time's half of the day may start the second ("〜午後5時", "〜正午", "〜翌2時").
    text = re.sub(r"(?<=[時分半])\s*[-‐–]\s*(?=午[前後]|正午)", "〜", text)
    text = re.sub(rf"(?<=[\d年月日時分秒円%％度人個回歳半])\s*[{_TILDES}]\s*(?=\d|{_JA_DAY_HALF}|正午)", "から", text)
    text = _hyphen_ranges(text, "から", pattern=_CJK_HYPHEN_RANGE)
    # (the counter repeated whole: "2〜3時間" is にじかんからさんじかん, not a range of times)
    text = re.sub(rf"(\d+)から(\d+)(時間|{_JA_IRREGULAR_COUNTERS})", r"\1\3から\2\3", text)
    # A range of times ends in まで ("9:00〜18:00" くじからじゅうはちじまで, "午前9時〜午後5時"
    # ごぜんくじからごごごじまで), as a schedule is said; not before に, where "までに" would mean "by",
    # nor where まで is written.
    hour = r"\d+時(?:\d+分|半)?"
    return re.sub(rf"({hour}から(?:(?:{_JA_DAY_HALF})?{hour}|正午))(?![\d分半間]|に|まで)", r"\1まで", text)


# An age ("20歳" written ハタチ by then) before の方 makes 方 a person, as do words that end like a class of
# people ("小学生以下の方", "保護者の方") and people one honours ("ご家族の方").
_JA_AGES = ("歳", "才", "ハタチ")
_JA_PEOPLE_ENDINGS = _JA_AGES + ("生", "児", "者")
_JA_HONOURED_PEOPLE = ("家族", "本人", "親族", "友人", "近所", "遺族", "両親")
# Nouns of people that 方 after の may compare ("前者の方がいい" ほう) and that so stay ほう.
_JA_NOT_PEOPLE = ("前者", "後者")


def _ja_person(words: list[dict], i: int) -> bool:
    """Whether 方 at words[i], after の, is a person (かた; Open JTalk says ほう, "the side"): after an age or a
    class of people with or without 以上/以下/未満 ("20歳以上の方", "18歳未満の方", "保護者の方"), or after
    an honorific verb or verbal noun ("ご希望の方", "お持ちの方", "お困りの方"); not after a place or a
    direction ("北の方", "ご自宅の方に", "こちらの方が"), nor after a class of people compared ("学生の方が")."""
    if i < 2 or words[i - 1]["string"] != "の":
        return False
    j = i - 2
    qualified = words[j]["string"] in ("以上", "以下", "未満")
    j -= qualified
    noun = words[j]["string"] if j >= 0 else ""
    if noun.endswith(_JA_PEOPLE_ENDINGS) and noun not in _JA_NOT_PEOPLE:
        compared = i + 1 < len(words) and words[i + 1]["string"] == "が"
        return qualified or noun.endswith(_JA_AGES) or not compared
    honorific = j >= 1 and words[j - 1]["string"] in ("お", "ご", "御") and words[j - 1]["pos"] == "接頭詞"
    person = (words[j]["pos_group1"] == "サ変接続" or words[j]["pos"] == "動詞" or re.search(r"[ぁ-ん]$", noun)
              or noun in _JA_HONOURED_PEOPLE)
    return not qualified and honorific and bool(person)


def _whole_numeral_words(words: list[dict]) -> list[dict]:
    """Words written with numerals that Open JTalk's number handling splits in a sentence: "今日は七夕です"
    comes as 七 (なな) 夕 (ゆう), "七五三" as three digits, though each alone is one word of the dictionary
    (たなばた, しちごさん). A run of numerals with the noun after it (not a counter: "八百キロ"), or a run of
    bare digits (not a number: "八百"), is looked up alone; where that gives one ordinary word, it is taken."""
    out, i = [], 0
    while i < len(words):
        j = i
        while j < len(words) and words[j]["pos_group1"] == "数":
            j += 1
        numerals = "".join(w["string"] for w in words[i:j])
        candidates = []
        if j > i and j < len(words) and words[j]["pos"] == "名詞" and words[j]["pos_group1"] not in ("接尾", "数"):
            candidates.append(j + 1)
        if len(numerals) >= 2 and all(ch in "〇一二三四五六七八九" for ch in numerals):
            candidates.append(j)
        for end in candidates:
            span = "".join(w["string"] for w in words[i:end])
            alone = _openjtalk().run_frontend(span) if all("\u4e00" <= ch <= "\u9fff" for ch in span) else []
            if len(alone) == 1 and alone[0]["string"] == span and alone[0]["pos_group1"] == "一般":
                out.append(alone[0])
                i = end
                break
        else:
            out.append(words[i])
            i += 1
    return out


def _japanese(text: str) -> str:
    """Kana for the whole sentence (espeak-ng's `ja` voice reads kana but names every kanji
    "Chinese letter"): each word's dictionary reading, particles as pronounced, punctuation kept."""
    out = []
    text = _ja_ranges(_ja_shapes(_cjk_time_units(text, {"ms": "ミリ秒", "min": "分", "s": "秒", "h": "時間"})))
    words = _whole_numeral_words(_openjtalk().run_frontend(text))
    for i, word in enumerate(words):
        if word["string"] == "方" and word["pron"] == "ホー" and _ja_person(words, i):
            out.append("カタ")
        elif word["string"] == "北の方":  # the dictionary's word is a noble's wife (きたのかた); it is the north
            out.append("キタノホウ")
        elif word["pos"] == "記号" and word["pron"] == "、":
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
