"""Script sentences placed on a transcript's timeline (the ASR resource's answer), or proportionally.

Script and transcript are aligned character by character, and each script sentence (or cue) gets the
time span of the transcript characters it matched — from the character timestamps when the service
sends them, else by sharing each ASR sentence evenly. Pure logic: the service call is
`batchvideo_resources.asr`.
"""

from __future__ import annotations

import re
import unicodedata

from batchvideo_media.audio import TimedSentence
from batchvideo_media.text import text_width


def proportional_timings(sentences: list[str], duration_ms: int) -> list[TimedSentence]:
    weights = [max(1, text_width(s)) for s in sentences]
    total = sum(weights)
    out, acc = [], 0
    for sentence, weight in zip(sentences, weights):
        start = round(duration_ms * acc / total)
        acc += weight
        out.append(TimedSentence(sentence, start, round(duration_ms * acc / total)))
    return out


def _comparable(text: str) -> list[str]:
    """Letters and digits only, case-folded: what script and transcript can agree on."""
    return [ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum()]


def _match_in_order(sentences: list[str], heard: list[str]) -> dict[int, int]:
    """Script char index → transcript char index, matched sentence by sentence.

    Each sentence is aligned (edit distance) with the stretch of transcript right after the
    previous sentence's match; skipping transcript at the start of that stretch costs like any
    other edit, so a sentence that is repeated later does not pull the match away. A sentence
    with too few matching characters (the speaker left it out) gets no anchors."""
    anchors: dict[int, int] = {}
    offset = 0  # first script char of the current sentence
    position = 0  # transcript char where the current sentence is expected to start
    for sentence in sentences:
        chars = _comparable(sentence)
        window = heard[position:position + 2 * len(chars) + 8]
        pairs = _align(chars, window)
        if chars and len(pairs) >= 0.3 * len(chars):
            for a, b in pairs:
                anchors[offset + a] = position + b
            position += pairs[-1][1] + 1
        offset += len(chars)
    return anchors


def _align(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Equal-character pairs of the cheapest alignment of all of `a` with a prefix of `b`
    (unit cost per substitution, insertion or deletion; the unused rest of `b` is free)."""
    n, m = len(a), len(b)
    if not n or not m:
        return []
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        row, above = cost[i], cost[i - 1]
        row[0] = i
        for j in range(1, m + 1):
            row[j] = min(above[j - 1] + (a[i - 1] != b[j - 1]), above[j] + 1, row[j - 1] + 1)
    j = min(range(m + 1), key=lambda k: (cost[n][k], k))
    i, pairs = n, []
    while i > 0 and j > 0:
        if cost[i][j] == cost[i - 1][j - 1] + (a[i - 1] != b[j - 1]):
            if a[i - 1] == b[j - 1]:
                pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _char_times(text: str, start: float, end: float, stamps: list | None) -> list[tuple[float, float]]:
    """Start/end of each comparable character of an ASR sentence: from FunASR's timestamps (one per
    CJK character or per word) when they match the text, else an even share of the sentence."""
    chars = _comparable(text)
    if stamps:
        tokens = re.findall(r"[^\W_]", unicodedata.normalize("NFKC", text).casefold())
        units = re.findall(r"[\u2e80-\u9fff\u3040-\u30ff\uac00-\ud7af]|[^\W_\u2e80-\u9fff\u3040-\u30ff\uac00-\ud7af]+",
                           "".join(tokens))
        if len(stamps) == len(chars):
            return [(float(a), float(b)) for a, b in stamps]
        if len(stamps) == len(units) and sum(map(len, units)) == len(chars):
            times = []
            for unit, (a, b) in zip(units, stamps):
                step = (b - a) / len(unit)
                times.extend((a + k * step, a + (k + 1) * step) for k in range(len(unit)))
            return times
    step = (end - start) / max(1, len(chars))
    return [(start + k * step, start + (k + 1) * step) for k in range(len(chars))]


def align_sentences(sentences: list[str], sentence_info: list[dict],
                    duration_ms: int) -> list[TimedSentence] | None:
    """Place script sentences on the transcript's timeline; None when too little matches.

    Each transcript character gets its timestamp, or an even share of its ASR sentence's span. Script characters
    matched to transcript characters take their times; unmatched ones are interpolated between
    the nearest matches. Results are monotonic, non-overlapping and within `duration_ms`."""
    heard, heard_times = _heard_chars(sentence_info, duration_ms)
    script: list[str] = []
    owner: list[int] = []
    for index, sentence in enumerate(sentences):
        chars = _comparable(sentence)
        script.extend(chars)
        owner.extend([index] * len(chars))
    if not heard or not script:
        return None
    anchors = _match_in_order(sentences, heard)
    if len(anchors) < 0.3 * len(script):
        return None  # the narration does not say the script: proportional timing is the honest guess
    char_start, char_end = _script_char_times(len(script), anchors, heard_times, duration_ms)
    return _sentence_timings(sentences, owner, char_start, char_end, duration_ms)


def _heard_chars(sentence_info: list[dict], duration_ms: int) -> tuple[list[str], list[tuple[float, float]]]:
    """The transcript's comparable characters in time order, each with its (start, end) ms."""
    heard: list[str] = []
    heard_times: list[tuple[float, float]] = []
    for seg in sorted(sentence_info, key=lambda s: s["start"]):
        start, end = max(0, seg["start"]), min(duration_ms, max(seg["start"], seg["end"]))
        heard.extend(_comparable(seg["text"]))
        heard_times.extend(_char_times(seg["text"], start, end, seg.get("timestamp")))
    return heard, heard_times


def _script_char_times(count: int, anchors: dict[int, int], heard_times: list[tuple[float, float]],
                       duration_ms: int) -> tuple[list[float], list[float]]:
    """Times of every script char: matched ones (`anchors`: script char → transcript char) from the
    transcript, the others shared evenly between the nearest matches (or the ends)."""
    known = sorted(anchors)
    char_start = [0.0] * count
    char_end = [0.0] * count
    for i in known:
        char_start[i], char_end[i] = heard_times[anchors[i]]
    bounds = [(-1, 0.0, 0.0)] + [(i, char_start[i], char_end[i]) for i in known] + \
             [(count, float(duration_ms), float(duration_ms))]
    for (left, _, left_end), (right, right_start, _) in zip(bounds, bounds[1:]):
        gap = right - left - 1
        if gap <= 0:
            continue
        step = (right_start - left_end) / gap
        for k in range(gap):
            char_start[left + 1 + k] = left_end + k * step
            char_end[left + 1 + k] = left_end + (k + 1) * step
    return char_start, char_end


def _sentence_timings(sentences: list[str], owner: list[int], char_start: list[float], char_end: list[float],
                      duration_ms: int) -> list[TimedSentence]:
    """Each sentence from its first char's start to its last char's end, kept in order, apart and
    within `duration_ms`; a sentence with no comparable char takes no time where the last one ended."""
    first_char: dict[int, int] = {}
    last_char: dict[int, int] = {}
    for i, index in enumerate(owner):
        first_char.setdefault(index, i)
        last_char[index] = i
    timings: list[TimedSentence] = []
    last_end = 0
    for index, sentence in enumerate(sentences):
        members = [first_char[index], last_char[index]] if index in first_char else []
        if members:
            start, end = round(char_start[members[0]]), round(char_end[members[-1]])
        else:
            start = end = last_end
        start = min(max(start, last_end), duration_ms)
        end = min(max(end, start), duration_ms)
        timings.append(TimedSentence(sentence, start, end))
        last_end = end
    return timings
