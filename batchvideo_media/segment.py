"""Where narration may be cut, for subtitle lines and cues: between words, never inside a number,
a bracket or a quotation when avoidable.

Chinese runs are segmented with jieba, Japanese runs (any kana) with pykakasi's word chunks;
word languages break at spaces. A number keeps its unit or measure word ("6米", "2024年", "35.7%",
"$12,000") and "第" before it. `plan_cues` cuts a sentence into subtitle cues that fit the
line limits and a speaking-time window, preferring clause punctuation.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable

from batchvideo_media.normalize import language_family
from batchvideo_media.text import CLAUSE_END, SENTENCE_END, is_cjk, text_width

# Whitespace, a run of non-CJK characters (a Latin word with its punctuation, a number), or one CJK char.
_RUN = re.compile(r"\s+|[^\s\u2e80-\u9fff\uac00-\ud7af\u3000-\u303f\uff00-\uffef]+|.", re.S)
_KANA = re.compile(r"[\u3040-\u30ff]")
OPENERS = "“‘「『（(【《〔〖〘〚｛{["
CLOSERS_OF = {"“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "《": "》",
              "〔": "〕", "〖": "〗", "〘": "〙", "〚": "〛", "｛": "｝", "{": "}", "[": "]"}
# Chinese measure words and units a number is read with: "6米", "15000次", "1,280万元".
_UNIT_MAX_CHARS = 2


def _cjk_letter(ch: str) -> bool:
    return is_cjk(ch) and (ch.isalnum() or ch in "ー々〆")


@functools.lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@functools.lru_cache(maxsize=1)
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


@functools.lru_cache(maxsize=4096)
def _segment_cjk(run: str) -> tuple[str, ...]:
    if _KANA.search(run):
        return tuple(t["orig"] for t in _kakasi().convert(run) if t["orig"])
    if re.search(r"[\uac00-\ud7af]", run):
        return (run,)  # Korean words are separated by spaces already
    return tuple(_jieba().lcut(run, HMM=True))


def words(text: str) -> list[str]:
    """The text as unbreakable pieces; joining them gives the text back. Whitespace is its own piece."""
    return list(_words(text))


@functools.lru_cache(maxsize=8192)  # cue planning and line layout ask for the same chunks again and again
def _words(text: str) -> tuple[str, ...]:
    raw = _RUN.findall(text)
    pieces: list[str] = []
    i = 0
    while i < len(raw):
        if len(raw[i]) == 1 and _cjk_letter(raw[i]):
            j = i
            while j < len(raw) and len(raw[j]) == 1 and _cjk_letter(raw[j]):
                j += 1
            pieces.extend(_segment_cjk("".join(raw[i:j])))
            i = j
        else:
            pieces.append(raw[i])
            i += 1
    # A number keeps its unit/measure word and an ordinal "第" before it.
    glued: list[str] = []
    for piece in pieces:
        previous = glued[-1] if glued else ""
        if previous and re.search(r"\d[%％‰]?$", previous) and _cjk_letter(piece[0]) \
                and len(piece) <= _UNIT_MAX_CHARS:
            glued[-1] = previous + piece
        elif previous in ("第", "约") and piece[:1].isdigit():
            glued[-1] = previous + piece
        else:
            glued.append(piece)
    return tuple(glued)


def group_depths(pieces: list[str]) -> list[int]:
    """For each piece, how many brackets/quotes are open before it (ASCII quotes toggle)."""
    depths, stack = [], []
    for piece in pieces:
        depths.append(len(stack))
        for ch in piece:
            if ch in OPENERS:
                stack.append(CLOSERS_OF[ch])
            elif stack and ch == stack[-1]:
                stack.pop()
            elif ch == '"':
                if stack and stack[-1] == '"':
                    stack.pop()
                elif piece.startswith('"'):
                    stack.append('"')
    return depths


_MONTH = re.compile(r"(?:January|February|March|April|May|June|July|August|September|October|November|"
                    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?$")


# What a number is read with and must share a cue and a line with: a unit, currency, percent or
# time suffix after it ("3.5 GHz", "89,90 €", "10 a.m.", "15 h", "14:35 Uhr", "1,3 %").
_AFTER_NUMBER = re.compile(
    r"(?:[%‰€$£¥°℃]|[ap]\.m\.?|[AP]M\b|(?:Uhr|h|heures?|horas?|Euro|euros?|Cent|dollars?|cents?|Prozent|percent|"
    r"km/h|kWh|[kMGT]?W|[kMG]?Hz|[kMGT]B|Go|mph|km|kg|cm|mm|mg|ml|m|mi|ft|lbs?|g|l|L|V|"
    r"[kKMG]?(?:bit|b)/s|[KMG]bps|[KMGT]B/s|[KMGT]o|m²|m³|km²|qm|sq\.? ?ft\.?|kcal|cal|kJ|mAh|cl|dl|oz|tsp|tbsp|"
    r"gal|hp|ha|t|Std\.?|Min\.?|min\.?|Sek\.?|hrs?\.?|sec|EL|TL|cdas?\.|cdtas?\.|"
    r"Dollar|Pfund|dólar(?:es)?|libras?|livres?|pounds?|pence|céntimos?|centimes?|yen|"
    r"Mio\.|Mrd\.|Mio|Mrd|Millionen|Milliarden|millions?|milliards?|millones|billion|trillion|thousand|bn)"
    r"(?![\w/]))")
# What names the number after it: a code or a capitalised abbreviation ("ICE | 577", "IBEX | 35",
# "S&P | 500", "Flight UA | 857", "Nr. | 5", "n° | 12").
_BEFORE_NUMBER = re.compile(r"(?:^|\s)(?:[A-Z][A-Z&]{1,4}|[A-Z]|Nr\.|No\.|n°|N°|núm\.|n\.º|Apt\.|#)$")
_URL = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+|[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|io|"
                  r"de|fr|es|cn|jp|kr|uk|eu|info)(?:/\S*)?", re.I)


def is_url(token: str) -> bool:
    """A web address or e-mail address: shown whole, never hyphenated or split across lines."""
    return bool(_URL.fullmatch(token.strip("()[]<>\"'“”‘’.,;:!?。，")))


def splits_number(before: str, after: str) -> bool:
    """A cut here would part a number from itself, a date, or what it is read with: "March | 5",
    "5, | 2024", "12 | 000", "8: | 45", "15 h | 30", "3.5 | GHz", "10 | a.m.", "89,90 | €", "€ | 10", and a
    range's two ends, "2〜 | 3時間", "9 – | 17"."""
    before, after = before.rstrip(), after.lstrip()
    if after[:1].isdigit() and (re.search(r"\d[,.:]?$|\d\s?h$|\d\s?[-–—~〜～]$", before) or _MONTH.search(before)
                                 or before[-1:] in "€$£¥" or _BEFORE_NUMBER.search(before)):
        return True
    return bool(re.search(r"\d$", before) and (_AFTER_NUMBER.match(after) or re.match(r"[-–—~〜～]\s?\d", after)))


def inside_group(pieces: list[str]) -> list[bool]:
    """For each break before piece k: does it fall inside a bracket or quotation?"""
    depths = group_depths(pieces)
    ends = depths[1:] + [0]
    return [depths[k] > 0 and (ends[k - 1] > 0 if k else False) for k in range(len(pieces))]


# --- speaking time ------------------------------------------------------------------------------

# Seconds per character at speed 1, measured on espeak-ng and used only to plan cues before the
# audio exists (the cue timings themselves come from the audio).
_SECONDS_PER_CHAR = {
    "zh": {"cjk": 0.27, "digit": 0.25, "latin": 0.07},
    "ja": {"cjk": 0.20, "kana": 0.12, "digit": 0.22, "latin": 0.07},
    "ko": {"cjk": 0.17, "digit": 0.2, "latin": 0.07},
    "": {"cjk": 0.25, "digit": 0.16, "latin": 0.06},
}


def estimate_seconds(text: str, language: str, speed: float = 1.0) -> float:
    rates = _SECONDS_PER_CHAR.get(language_family(language), _SECONDS_PER_CHAR[""])
    total = 0.0
    for ch in text:
        if ch.isdigit():
            total += rates["digit"]
        elif _KANA.match(ch):
            total += rates.get("kana", rates["cjk"])
        elif _cjk_letter(ch):
            total += rates["cjk"]
        elif ch.isalpha():
            total += rates["latin"]
    return total / max(0.1, speed)


# --- cue planning ---------------------------------------------------------------------------------

_CLAUSE_MARKS = set(CLAUSE_END + SENTENCE_END + "—…")
_NO_CUE_START = set("”’」』）)】》〕〗〙〛｝}]，。！？、；：,.!?;:…%‰")
_CUE_COST = 10.0
_WORD_BREAK_COST = 25.0  # a cut between words rather than at clause punctuation
_GROUP_BREAK_COST = 400.0  # a cut inside brackets or a quotation
_KINSOKU_COST = 2000.0
_NUMBER_BREAK_COST = 2000.0
# Particles that lean on the word before them: a cut before them reads badly.
_ENCLITICS = set("了的着过吗呢吧啊地得们")
_ENCLITIC_COST = 40.0
_SHORT_COST = 80.0  # per second a cue falls short of the minimum
_LONG_COST = 300.0  # per second a cue runs past the maximum


def ends_clause(text: str) -> bool:
    core = text.rstrip().rstrip("”’」』）)】》\"'")
    return bool(core) and core[-1] in _CLAUSE_MARKS


def _break_cost(pieces: list[str], inside: list[bool], k: int) -> float:
    """What a cut before piece `k` costs: nothing at the ends or after clause punctuation, more
    between plain words, much more before closing punctuation, inside brackets or quotes, inside a
    number or before an enclitic particle; a cut with nothing on one side is impossible."""
    if k in (0, len(pieces)):
        return 0.0
    before = "".join(pieces[:k]).rstrip()
    after = "".join(pieces[k:]).lstrip()
    if not before or not after:
        return float("inf")
    cost = 0.0 if ends_clause(before) else _WORD_BREAK_COST
    if after[0] in _NO_CUE_START or before[-1] in OPENERS:
        cost += _KINSOKU_COST
    if inside[k]:
        cost += _GROUP_BREAK_COST
    if splits_number(before, after):
        cost += _NUMBER_BREAK_COST
    if after[0] in _ENCLITICS:
        cost += _ENCLITIC_COST
    return cost


def plan_cues(text: str, fits: Callable[[str], bool], max_width: int, seconds: Callable[[str], float],
              min_s: float = 1.0, max_s: float = 6.0) -> list[str]:
    """Cut one sentence into cues: each `fits` (the line layout allows it) and lasts `min_s`–`max_s`
    by the `seconds` estimate where possible (no cue wider than `max_width` units can fit). Cuts fall between words, preferably after clause
    punctuation, never before closing punctuation, inside a number, or (when avoidable) inside
    brackets or quotes. Fewest, most even cues win."""
    pieces = words(text.strip())
    if not pieces:
        return []
    inside = inside_group(pieces)
    # Break candidates: before piece k (k = 0 and k = n are the ends); spaces are dropped at a cut.
    n = len(pieces)

    def chunk(i: int, j: int) -> str:
        return "".join(pieces[i:j]).strip()

    starts = [k for k in range(n) if not pieces[k].isspace()]
    cuts = [k for k in starts if k > 0] + [n]
    best: dict[int, tuple[float, int]] = {0: (0.0, -1)}
    next_cut = {i: next(c for c in cuts if c > i) for i in [0, *cuts[:-1]]}
    for j in cuts:
        options = []
        # Nearest start first: once a chunk is too wide, every longer one is too.
        for i in sorted((i for i in best if i < j), reverse=True):
            cost_i = best[i][0]
            piece = chunk(i, j)
            single = j == next_cut[i]
            if not single and text_width(piece) > max_width:
                break
            if not piece or (not single and not fits(piece)):
                continue
            duration = seconds(piece)
            cost = cost_i + _CUE_COST + 0.3 * duration ** 2 + _break_cost(pieces, inside, j)
            cost += _SHORT_COST * max(0.0, min_s - duration) + _LONG_COST * max(0.0, duration - max_s)
            options.append((cost, i))
        if options:
            best[j] = min(options)
    bounds, j = [], n
    while j > 0:
        i = best[j][1]
        bounds.append((i, j))
        j = i
    return [chunk(i, j) for i, j in reversed(bounds) if chunk(i, j)]

