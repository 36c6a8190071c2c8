"""Subtitle cues from sentence timings: line wrapping, SRT and ASS output."""

from __future__ import annotations

import functools
import re
from datetime import timedelta

import pysubs2
import srt

from batchvideo_media.audio import TimedSentence
from batchvideo_media.text import (
    CLOSERS,
    char_width,
    is_cjk,
    is_speakable,
    join_pieces,
    split_clauses,
    strip_pictographs,
    text_width,
)

# Line limits in display-width units (a CJK char counts 2): 13/8 CJK chars, 24/16 for word languages.
LINE_LIMITS = {(True, False): 26, (True, True): 16, (False, False): 24, (False, True): 16}
MAX_LINES = 2
_TOKEN = re.compile(r"\s+|[^\s\u2e80-\u9fff\uac00-\ud7af\u3000-\u303f\uff00-\uffef]+|.", re.S)
# Kinsoku: characters a line must not start with / must not end with.
NO_LINE_START = set(CLOSERS + "，。！？、；：,.!?;:…‥%‰・ー々ゝゞぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ")
NO_LINE_END = set("“‘「『（(【《〔〖〘〚｛{[")


def line_limit(square: bool, vertical: bool) -> int:
    return LINE_LIMITS[(bool(square), bool(vertical))]


def _tokens(text: str) -> list[str]:
    """Words of word languages stay whole (with their punctuation); each CJK char is a token."""
    return _TOKEN.findall(text.strip())


def _hard_split(token: str, limit: int) -> list[str]:
    """Cut a single token wider than a line; word-language words get a hyphen at the cut."""
    parts = []
    while text_width(token) > limit:
        hyphen = token[0].isalpha() and not is_cjk(token[0])
        width, cut = 0, len(token)
        for i, ch in enumerate(token):
            width += char_width(ch)
            if width > limit - (1 if hyphen else 0):
                cut = max(1, i)
                break
        parts.append(token[:cut] + ("-" if hyphen and token[cut - 1].isalpha() else ""))
        token = token[cut:]
    return parts + ([token] if token else [])


# Layout costs, in squared width units: line widths far from the average cost their square;
# these penalties are added per break.
_KINSOKU_PENALTY = 10_000  # a line opening with a closing mark / ending with an opening mark
_INSIDE_CJK_RUN_PENALTY = 100  # a break between two CJK letters (may split a word) vs after punctuation
_INSIDE_WORD_PENALTY = 400  # between the pieces of a word too long for any line


def _cannot_open_line(token: str) -> bool:
    # An ASCII quote glued to a word ('"Because') opens the quote; alone it may close one.
    return token[0] in NO_LINE_START and not (token[0] in "\"'" and len(token) > 1)


def _cjk_letter(ch: str) -> bool:
    return is_cjk(ch) and ch.isalnum()


def _layout_units(text: str, limit: int) -> list[tuple[str, bool, bool]]:
    """(token, space before it, continues the previous token's word) with over-wide words cut."""
    units: list[tuple[str, bool, bool]] = []
    space = False
    for token in _tokens(text):
        if token.isspace():
            space = True
            continue
        pieces = _hard_split(token, limit) if text_width(token) > limit else [token]
        for k, piece in enumerate(pieces):
            units.append((piece, space and bool(units) and k == 0, k > 0))
        space = False
    return units


def wrap(text: str, limit: int) -> list[str]:
    """Wrap to the fewest lines within `limit` width units, balanced and readable.

    Lines break between words (a word is cut, with a hyphen, only when it alone is wider than a
    line); a line does not open with closing punctuation or end with an opening mark unless no
    layout within the limit avoids it; among the remaining layouts the one with the most even
    line widths wins, preferring breaks after punctuation to breaks inside a run of CJK letters."""
    units = _layout_units(text, limit)
    n = len(units)
    if n == 0:
        return []
    # prefix[j] - prefix[i] - (space before unit i) = width of units i..j-1 on one line
    prefix = [0]
    for token, space, _ in units:
        prefix.append(prefix[-1] + text_width(token) + (1 if space else 0))

    def line_width(i: int, j: int) -> int:
        return prefix[j] - prefix[i] - (1 if units[i][1] else 0)

    def break_penalty(j: int) -> int:  # a break before unit j
        before, after = units[j - 1][0], units[j][0]
        if units[j][2]:
            return _INSIDE_WORD_PENALTY
        penalty = 0
        if _cannot_open_line(after) or before[-1] in NO_LINE_END:
            penalty += _KINSOKU_PENALTY
        if not units[j][1] and _cjk_letter(before[-1]) and _cjk_letter(after[0]):
            penalty += _INSIDE_CJK_RUN_PENALTY
        return penalty

    fits = []
    for i in range(n):
        j = i + 1
        while j < n and line_width(i, j + 1) <= limit:
            j += 1
        fits.append(range(i + 1, j + 1))
    # Fewest lines first (every unit fits a line on its own, so a layout always exists).
    fewest = [0] + [n + 1] * n
    for i in range(n):
        for j in fits[i]:
            fewest[j] = min(fewest[j], fewest[i] + 1)
    layout = _cheapest_layout(n, fewest[n], fits, line_width, break_penalty)
    if layout[0] >= _KINSOKU_PENALTY and fewest[n] < n:  # one more line may honour kinsoku
        layout = min(layout, _cheapest_layout(n, fewest[n] + 1, fits, line_width, break_penalty))
    return [_render_units(units[i:j]) for i, j in layout[1]]


def _cheapest_layout(n, lines, fits, line_width, break_penalty) -> tuple[float, list[tuple[int, int]]]:
    """Dynamic programme over break positions: (cost, [(start, end) of each line])."""
    target = line_width(0, n) / lines
    inf = float("inf")
    # best[k][j]: cheapest layout of units 0..j-1 in k lines, and where its last line starts.
    best = [[(inf, -1)] * (n + 1) for _ in range(lines + 1)]
    best[0][0] = (0.0, -1)
    for k in range(lines):
        for i in range(n):
            cost_i = best[k][i][0]
            if cost_i == inf:
                continue
            for j in fits[i]:
                cost = cost_i + (line_width(i, j) - target) ** 2 + (break_penalty(j) if j < n else 0)
                if cost < best[k + 1][j][0]:
                    best[k + 1][j] = (cost, i)
    if best[lines][n][0] == inf:
        return inf, []
    bounds, j = [], n
    for k in range(lines, 0, -1):
        i = best[k][j][1]
        bounds.append((i, j))
        j = i
    return best[lines][n][0], bounds[::-1]


def _render_units(units: list[tuple[str, bool, bool]]) -> str:
    return "".join((" " if space and k else "") + token for k, (token, space, _) in enumerate(units))


def _render(tokens: list[str]) -> str:
    return "".join(tokens).strip()


def cue_texts(text: str, limit: int, max_lines: int = MAX_LINES) -> list[str]:
    """Break one sentence into cue-sized chunks of at most `max_lines` lines each.

    Chunks end at clause punctuation where possible; a clause too long for one cue is cut
    between words into chunks of similar size."""
    if len(wrap(text, limit)) <= max_lines:
        return [text]
    chunks: list[str] = []
    current = ""
    for clause in split_clauses(text):
        candidate = join_pieces(current, clause) if current else clause
        lines = wrap(candidate, limit)
        # Grow the cue by whole clauses while it fits; stop early rather than wrap a line
        # inside a CJK word when the cue so far could end cleanly at punctuation.
        if len(lines) <= max_lines and (not current or not _breaks_inside_cjk_run(lines)):
            current = candidate
            continue
        if current:
            chunks.append(current)
        if len(wrap(clause, limit)) <= max_lines:
            current = clause
        else:
            *full, current = _even_chunks(clause, limit, max_lines)
            chunks.extend(full)
    if current:
        chunks.append(current)
    return chunks


def _breaks_inside_cjk_run(lines: list[str]) -> bool:
    return any(_cjk_letter(a[-1]) and _cjk_letter(b[0]) for a, b in zip(lines, lines[1:]))


def _even_chunks(text: str, limit: int, max_lines: int) -> list[str]:
    """Cut a clause too long for one cue into the fewest chunks of similar width, each cut
    after punctuation when one is near, never before closing punctuation."""
    lines = wrap(text, limit)
    count = -(-len(lines) // max_lines)
    tokens = _tokens(text)
    cumulative, acc = [], 0
    for token in tokens:
        acc += text_width(token)
        cumulative.append(acc)
    cuts, previous = [], -1
    for k in range(1, count):
        target = acc * k / count
        candidates = [i for i in range(previous + 1, len(tokens) - 1) if not tokens[i].isspace()
                      and _may_start_cue(tokens, i + 1) and tokens[i][-1] not in NO_LINE_END]
        if not candidates:
            break
        previous = min(candidates, key=lambda i: abs(cumulative[i] - target)
                       + (0 if tokens[i][-1] in _PUNCTUATION else 4))
        cuts.append(previous)
    bounds = [-1, *cuts, len(tokens) - 1]
    chunks = [_render(tokens[a + 1:b + 1]) for a, b in zip(bounds, bounds[1:])]
    chunks = [c for c in chunks if c]
    if chunks and all(len(wrap(c, limit)) <= max_lines for c in chunks):
        return chunks
    groups = []  # consecutive pairs of balanced lines always fit
    for i in range(0, len(lines), max_lines):
        group = lines[i]
        for line in lines[i + 1:i + max_lines]:
            group = join_pieces(group, line)
        groups.append(group)
    return groups


_PUNCTUATION = set("，。！？、；：,.!?;:…")


def _may_start_cue(tokens: list[str], index: int) -> bool:
    following = next((t for t in tokens[index:] if not t.isspace()), "")
    return not following or not _cannot_open_line(following)


def _speech_weight(text: str) -> int:
    """Rough speaking time of a chunk: letters and digits by display width, punctuation not at all."""
    return max(1, sum(char_width(ch) for ch in text if is_speakable(ch)))


def subtitle_text(text: str) -> str:
    """Cue text as displayed: no emoji (burned-in fonts lack them), nothing an SRT parser trips on."""
    return strip_pictographs(text).replace("-->", "→")


# OpenCC matches the longest dictionary phrase from the left, so "医生发现" becomes "醫生髮現"
# (生发 = hair growth). 髮 before these characters is always the verb 發.
_HAIR_NOT_VERB = re.compile("髮(?=[現生展表明揮送出行動言布佈射電放售掘覺病燒熱酵芽聲光起揚])")


def to_traditional(text: str) -> str:
    """Simplified → Traditional Chinese (OpenCC s2t) for `extra.traditional_subtitle`."""
    return _HAIR_NOT_VERB.sub("發", _opencc_s2t().convert(text))


@functools.lru_cache(maxsize=1)
def _opencc_s2t():
    from opencc import OpenCC

    return OpenCC("s2t")


def build_cues(sentences: list[TimedSentence], square: bool, vertical: bool,
               audio_ms: int | None = None) -> list[srt.Subtitle]:
    """One cue per sentence; a sentence longer than two lines becomes several cues with its
    time shared by character count. Cues never overlap and never run past `audio_ms`."""
    limit = line_limit(square, vertical)
    cues: list[srt.Subtitle] = []
    last_end = 0
    for sentence in sentences:
        text = subtitle_text(sentence.text)
        if not text:
            continue
        chunks = cue_texts(text, limit)
        weights = [_speech_weight(chunk) for chunk in chunks]
        total = sum(weights)
        span = sentence.end_ms - sentence.start_ms
        acc = 0
        start = sentence.start_ms
        for chunk, weight in zip(chunks, weights):
            acc += weight
            end = sentence.start_ms + round(span * acc / total)
            if audio_ms is not None:
                end = min(end, audio_ms)
            start = max(start, last_end)
            if end > start:
                cues.append(srt.Subtitle(index=len(cues) + 1, start=timedelta(milliseconds=start),
                                         end=timedelta(milliseconds=end), content="\n".join(wrap(chunk, limit))))
                last_end = end
            start = end
    return cues


def to_srt(cues: list[srt.Subtitle]) -> str:
    return srt.compose(cues, reindex=True)


def hex_to_color(value: str, alpha: int = 0) -> pysubs2.Color:
    value = (value or "#000000").lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        raise ValueError(f"not a #RRGGBB colour: {value!r}")
    return pysubs2.Color(int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), alpha)


def ass_escape(text: str) -> str:
    """Make cue text inert for libass: braces start override blocks, backslashes start escapes."""
    return (text.replace("\\", "\uff3c").replace("{", "\uff5b").replace("}", "\uff5d")
            .replace("\n", "\\N"))


def to_ass(cues: list[srt.Subtitle], width: int, height: int, *, font: str, background: str,
           font_size: int | None = None, margin_v: int | None = None,
           header: list[str] | None = None, duration_ms: int | None = None) -> str:
    """ASS document with one boxed subtitle style; text is escaped, never interpreted.

    `header` lines (h2v index/title/desc) are shown at the top for the whole `duration_ms`."""
    subs = pysubs2.SSAFile()
    subs.info["PlayResX"] = str(width)
    subs.info["PlayResY"] = str(height)
    subs.info["WrapStyle"] = "2"  # we wrap ourselves
    size = font_size or round(min(width, height) * (0.055 if width >= height else 0.05))
    subs.styles["Default"] = pysubs2.SSAStyle(
        fontname=font, fontsize=size, primarycolor=pysubs2.Color(255, 255, 255, 0),
        outlinecolor=hex_to_color(background, 40), backcolor=hex_to_color(background, 40),
        bold=False, borderstyle=3, outline=max(4, size // 6), shadow=0,
        alignment=pysubs2.Alignment.BOTTOM_CENTER, marginl=40, marginr=40,
        marginv=margin_v if margin_v is not None else round(height * 0.07),
    )
    top = round(height * 0.08)
    for i, line in enumerate(line for line in (header or []) if line.strip()):
        line_size = round(size * (1.5 if i == 1 else 1.0))
        subs.styles[f"Header{i}"] = pysubs2.SSAStyle(
            fontname=font, fontsize=line_size, primarycolor=pysubs2.Color(255, 230, 90, 0) if i == 1
            else pysubs2.Color(255, 255, 255, 0), outlinecolor=pysubs2.Color(0, 0, 0, 0), bold=i == 1,
            borderstyle=1, outline=3, shadow=0, alignment=pysubs2.Alignment.TOP_CENTER,
            marginl=40, marginr=40, marginv=top)
        top += round(line_size * 1.6 * max(1, len(wrap(line, 16))))
        subs.events.append(pysubs2.SSAEvent(start=0, end=duration_ms or 0, style=f"Header{i}",
                                            text=ass_escape("\n".join(wrap(line, 16)))))
    for cue in cues:
        subs.events.append(pysubs2.SSAEvent(
            start=int(cue.start.total_seconds() * 1000), end=int(cue.end.total_seconds() * 1000),
            text=ass_escape(cue.content), style="Default"))
    return subs.to_string("ass")
