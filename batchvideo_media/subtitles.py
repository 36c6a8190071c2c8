"""Subtitle cues from sentence timings: line wrapping, SRT and ASS output."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from datetime import timedelta

import pysubs2
import srt

from batchvideo_media.audio import TimedSentence
from batchvideo_media.normalize import language_family
from batchvideo_media.segment import estimate_seconds, inside_group, is_url, plan_cues, splits_number, words
from batchvideo_media.text import (
    CLOSERS,
    char_width,
    is_cjk,
    is_speakable,
    strip_pictographs,
    text_width,
)


@dataclass(frozen=True)
class SubtitleGuide:
    chars_per_line: int  # characters; a CJK character is one (two display-width units)
    chars_per_second: float  # reading speed limit, adult programmes


# Netflix Timed Text Style Guide: each language's guide (characters per line, reading speed for adult
# programmes) and the General Requirements (the constants below), partnerhelp.netflixstudios.com.
# Korean counts Latin letters, spaces and punctuation as half a character, as our width units do.
NETFLIX_GUIDE = {
    "en": SubtitleGuide(42, 20), "de": SubtitleGuide(42, 17), "fr": SubtitleGuide(42, 17),
    "es": SubtitleGuide(42, 17), "zh": SubtitleGuide(16, 9), "yue": SubtitleGuide(16, 9),
    "ko": SubtitleGuide(16, 12), "ja": SubtitleGuide(13, 4), "": SubtitleGuide(42, 17),
}
MAX_LINES = 2
MIN_GAP_FRAMES = 2  # between two cues, whatever the frame rate
CHAIN_GAP_FRAMES = 12  # a shorter gap is closed down to MIN_GAP_FRAMES
MIN_DURATION_S, MAX_DURATION_S = 5 / 6, 7.0
FPS = 25  # the rendered video's frame rate (batchvideo_media.compose.plan.FPS)
# What fits a vertical frame at its subtitle font size, in display-width units (a CJK char counts 2):
# 13 CJK characters fill ~75 % of a 768 px wide frame. A horizontal frame takes the guide's limit.
LINE_LIMITS = {(True, False): 26, (True, True): 26, (False, False): 24, (False, True): 22}


def subtitle_guide(language: str | None) -> SubtitleGuide:
    base = (language or "").lower().replace("_", "-").split("-")[0]
    return NETFLIX_GUIDE.get(base) or NETFLIX_GUIDE.get(language_family(base)) or NETFLIX_GUIDE[""]
# Speaking time a cue is planned for (its real timing always comes from the audio).
CUE_MIN_S, CUE_MAX_S = 0.8, 7.0
# Kinsoku: characters a line must not start with / must not end with.
NO_LINE_START = set(CLOSERS + "，。！？、；：,.!?;:…‥%‰・ー々ゝゞぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ")
NO_LINE_END = set("“‘「『（(【《〔〖〘〚｛{[")


def line_limit(square: bool, vertical: bool, language: str | None = None) -> int:
    """Line width in display units: the language's Netflix limit (42 Latin characters, 16 zh/yue/ko,
    13 ja), or on a vertical frame whatever of it fits the frame. Without a language, the frame's."""
    frame = LINE_LIMITS[(bool(square), bool(vertical))]
    if language is None:
        return frame
    units = subtitle_guide(language).chars_per_line * (2 if square else 1)
    return min(units, frame) if vertical else units


def _tokens(text: str) -> list[str]:
    """Words stay whole (with their punctuation): word languages by spaces, Chinese by jieba,
    Japanese by pykakasi; numbers keep their unit."""
    return words(text.strip())


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
_INSIDE_GROUP_PENALTY = 3_000  # inside brackets or a quotation
_NUMBER_SPLIT_PENALTY = 5_000  # between the parts of a number or date ("March | 5", "5, | 2024")
# Netflix: break before conjunctions and prepositions, never between an article and its noun — so a
# line should not end with one of these words (en, de, fr, es).
_DANGLING_PENALTY = 150
_FUNCTION_WORDS = set("""a an the of to in on at for with and or but from by as into than that
der die das den dem des ein eine einen einem einer und oder aber mit von zu zum zur im am um für auf aus bei nach
le la les l un une des du de et ou mais à au aux en pour par sur avec dans
el los las unos unas del y o pero al con por para""".split())


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
        # a web or e-mail address stays whole even on a line of its own that runs over
        pieces = _hard_split(token, limit) if text_width(token) > limit and not is_url(token) else [token]
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
    grouped = inside_group([token for token, _, _ in units])
    # prefix[j] - prefix[i] - (space before unit i) = width of units i..j-1 on one line
    prefix = [0]
    for token, space, _ in units:
        prefix.append(prefix[-1] + text_width(token) + (1 if space else 0))

    def line_width(i: int, j: int) -> int:
        return prefix[j] - prefix[i] - (1 if units[i][1] else 0)

    @functools.lru_cache(maxsize=None)  # the layout search asks for each break many times
    def break_penalty(j: int) -> int:  # a break before unit j
        before, after = units[j - 1][0], units[j][0]
        if units[j][2]:
            return _INSIDE_WORD_PENALTY
        penalty = 0
        if _cannot_open_line(after) or before[-1] in NO_LINE_END:
            penalty += _KINSOKU_PENALTY
        if not units[j][1] and _cjk_letter(before[-1]) and _cjk_letter(after[0]):
            penalty += _INSIDE_CJK_RUN_PENALTY
        if grouped[j]:
            penalty += _INSIDE_GROUP_PENALTY
        # ("15 h | 30" needs the context before, "2 | 〜3" the one after)
        if splits_number(_render_units(units[max(0, j - 3):j]), _render_units(units[j:j + 2])):
            penalty += _NUMBER_SPLIT_PENALTY
        if re.sub(r"^.*['’]", "", before.lower()) in _FUNCTION_WORDS or before.lower() in _FUNCTION_WORDS:
            penalty += _DANGLING_PENALTY
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


def cue_texts(text: str, limit: int, language: str = "", speed: float = 1.0,
              max_lines: int = MAX_LINES) -> list[str]:
    """Break one sentence into cues of at most `max_lines` lines, each planned to be spoken in
    CUE_MIN_S–CUE_MAX_S: cut between words, preferably at clause punctuation, never inside a
    number and, where the layout allows, not inside brackets or quotes."""
    @functools.lru_cache(maxsize=None)
    def fits(chunk: str) -> bool:
        return _fits_cue(chunk, limit, max_lines)

    return plan_cues(text, fits, limit * max_lines,
                     lambda chunk: estimate_seconds(chunk, language, speed),
                     min_s=CUE_MIN_S + 0.2, max_s=CUE_MAX_S - 1.0)


def _fits_cue(text: str, limit: int, max_lines: int = MAX_LINES) -> bool:
    """It wraps to `max_lines`, no short bracket group is broken, and no line break parts a number from
    what it is read with ("82,35 | $"): a cue whose only layout does that is cut elsewhere instead."""
    lines = wrap(text, limit)
    return (len(lines) <= max_lines and not _splits_short_group(text, lines, limit)
            and not any(splits_number(a, b) for a, b in zip(lines, lines[1:])))


def _splits_short_group(text: str, lines: list[str], limit: int) -> bool:
    """A line break inside brackets or a quotation that would have fitted on one line."""
    units = _layout_units(text, limit)
    grouped = inside_group([token for token, _, _ in units])
    if not any(grouped):
        return False
    # Each bracket group's width, assigned to the breaks inside it.
    position, breaks = 0, set()
    for line in lines[:-1]:
        position += len(_layout_units(line, limit))
        breaks.add(position)
    k = 0
    while k < len(units):
        if not grouped[k]:
            k += 1
            continue
        start = k - 1
        while k < len(units) and grouped[k]:
            k += 1
        width = text_width(_render_units(units[start:k]))
        # (room for one closing punctuation mark, which kinsoku keeps on the group's line)
        if width + 2 <= limit and any(start < b < k for b in breaks):
            return True
    return False


def _speech_weight(text: str) -> int:
    """Rough speaking time of a chunk: letters and digits by display width, punctuation not at all."""
    return max(1, sum(char_width(ch) for ch in text if is_speakable(ch)))


# Markup that subtitle players interpret in SRT text: HTML-like tags (<i>, <font color=…>) and ASS
# override blocks ({\an8}, {\pos(…)}), plus backslash escapes (\N, \h).
_TAG = re.compile(r"<(\s*/?\s*[A-Za-z][^<>]*)>")


def inert_markup(text: str) -> str:
    """Text that no player reads as markup: braces, backslashes and tag brackets become their
    full-width forms, which is also what the burned-in (ASS) subtitles show for them."""
    text = _TAG.sub("\uff1c\\1\uff1e", text)
    return text.replace("\\", "\uff3c").replace("{", "\uff5b").replace("}", "\uff5d")


def subtitle_text(text: str) -> str:
    """Cue text as displayed: no emoji (burned-in fonts lack them), nothing an SRT parser trips on,
    no markup a player would interpret."""
    return inert_markup(strip_pictographs(text).replace("-->", "→"))


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
               audio_ms: int | None = None, language: str | None = None, fps: float = FPS) -> list[srt.Subtitle]:
    """One cue per sentence; a sentence longer than two lines becomes several cues with its
    time shared by character count. Cues never overlap and never run past `audio_ms`; with a
    `language` they are laid out and timed to the Netflix guide (`guide_timing`)."""
    limit = line_limit(square, vertical, language)
    cues: list[srt.Subtitle] = []
    last_end = 0
    for sentence in sentences:
        text = subtitle_text(sentence.text)
        if not text:
            continue
        if _fits_cue(text, limit):
            chunks = [text]  # a cue the narration planned (its switches are pauses in the audio) stays whole
        else:  # planned at the speed it was really spoken
            speed = max(0.1, estimate_seconds(text, language or "") / max(0.001, (sentence.end_ms - sentence.start_ms) / 1000))
            chunks = cue_texts(text, limit, language or "", speed)
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
    return guide_timing(cues, language, fps, audio_ms) if language is not None else cues


def reading_speed(cue: srt.Subtitle) -> float:
    """Characters per second, as the guide counts them (spaces and punctuation too, line breaks not)."""
    seconds = (cue.end - cue.start).total_seconds()
    return len(cue.content.replace("\n", "")) / max(seconds, 0.001)


def guide_timing(cues: list[srt.Subtitle], language: str | None, fps: float = FPS,
                 audio_ms: int | None = None) -> list[srt.Subtitle]:
    """Out-times to the Netflix guide: each cue stays up until its text can be read at the
    language's speed (at least 5/6 s, at most 7 s), into the silence after its speech but never
    closer than 2 frames to the next cue; a gap under 12 frames is closed down to 2 frames."""
    frame_ms = 1000 / fps
    min_gap = math.ceil(MIN_GAP_FRAMES * frame_ms)
    chain = CHAIN_GAP_FRAMES * frame_ms
    cps = subtitle_guide(language).chars_per_second
    timed = []
    for k, cue in enumerate(cues):
        start, end = _ms(cue.start), _ms(cue.end)
        following = _ms(cues[k + 1].start) if k + 1 < len(cues) else None
        needed = start + math.ceil(1000 * max(MIN_DURATION_S, len(cue.content.replace("\n", "")) / cps))
        new_end = max(end, min(needed, start + 1000 * MAX_DURATION_S))
        if following is not None:
            if following - new_end < chain:
                new_end = following - min_gap
            new_end = min(new_end, following - min_gap)
        elif audio_ms is not None:
            new_end = min(new_end, max(end, audio_ms))
        new_end = max(math.floor(new_end), start + 1)
        timed.append(srt.Subtitle(index=k + 1, start=cue.start, end=timedelta(milliseconds=new_end),
                                  content=cue.content))
    return timed


def reading_pause_ms(text: str, speech_s: float, language: str | None, base_ms: int, fps: float = FPS,
                     lead_ms: int = 0) -> int:
    """The pause to leave after a cue's speech: `base_ms`, or longer when the cue needs more time to be
    read at the guide's speed — the guide lets a cue stay up to 12 frames past its audio, and the next
    cue (2 frames later, and `lead_ms` before its own first sound) must not start before then."""
    needed_s = len(subtitle_text(text)) / subtitle_guide(language).chars_per_second
    frame_ms = 1000 / fps
    extra_ms = min(CHAIN_GAP_FRAMES * frame_ms, max(0.0, needed_s - speech_s) * 1000)
    return max(base_ms, math.ceil(extra_ms + MIN_GAP_FRAMES * frame_ms + lead_ms) + 1) if extra_ms > 0 else base_ms


def _ms(value: timedelta) -> int:
    return round(value.total_seconds() * 1000)


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


# Vertical frames: phone apps draw their controls over the bottom ~15 %, so subtitles sit above it.
VERTICAL_SAFE_BOTTOM = 0.17
KARAOKE_HIGHLIGHT = pysubs2.Color(255, 230, 90, 0)


def subtitle_font_size(width: int, height: int) -> int:
    """~4.2 % of the height on a horizontal frame; on a vertical one 6 % of the width (46 px at 768),
    so a 13-character CJK line fills about three quarters of the width."""
    return round(height * 0.055) if width >= height else round(width * 0.06)


def to_ass(cues: list[srt.Subtitle], width: int, height: int, *, font: str, background: str,
           font_size: int | None = None, margin_v: int | None = None,
           header: list[str] | None = None, duration_ms: int | None = None,
           words: list[list[dict]] | None = None) -> str:
    """ASS document with one boxed subtitle style; text is escaped, never interpreted.

    `header` lines (h2v index/title/desc) are shown at the top for the whole `duration_ms`.
    `words` (per cue: [{"text", "start_ms", "end_ms"}]) turns on karaoke highlighting: each word
    changes to the highlight colour as it is spoken."""
    subs = pysubs2.SSAFile()
    subs.info["PlayResX"] = str(width)
    subs.info["PlayResY"] = str(height)
    subs.info["WrapStyle"] = "2"  # we wrap ourselves
    size = font_size or subtitle_font_size(width, height)
    vertical = height > width
    subs.styles["Default"] = pysubs2.SSAStyle(
        fontname=font, fontsize=size,
        primarycolor=KARAOKE_HIGHLIGHT if words else pysubs2.Color(255, 255, 255, 0),
        secondarycolor=pysubs2.Color(255, 255, 255, 0),
        outlinecolor=hex_to_color(background, 40), backcolor=hex_to_color(background, 40),
        bold=False, borderstyle=3, outline=max(4, size // 6), shadow=0,
        alignment=pysubs2.Alignment.BOTTOM_CENTER, marginl=40, marginr=40,
        marginv=margin_v if margin_v is not None else round(height * (VERTICAL_SAFE_BOTTOM if vertical else 0.07)),
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
    for k, cue in enumerate(cues):
        start = int(cue.start.total_seconds() * 1000)
        cue_words = words[k] if words and k < len(words) else None
        text = karaoke_text(cue.content, cue_words, start) if cue_words else ass_escape(cue.content)
        subs.events.append(pysubs2.SSAEvent(start=start, end=int(cue.end.total_seconds() * 1000), text=text,
                                            style="Default"))
    return subs.to_string("ass")


def karaoke_text(content: str, words: list[dict], cue_start_ms: int) -> str:
    """Cue text with a `\\k` duration (centiseconds) before each word, keeping the cue's line breaks.

    Word texts are matched against the displayed text in order; text between words (spaces,
    line breaks) is copied as is. If the words do not spell the cue, the plain text is returned."""
    out, position, clock = [], 0, cue_start_ms
    for k, word in enumerate(words):
        found = _find_skipping_breaks(content, word["text"], position)
        if found is None:
            return ass_escape(content)
        begin, end = found
        out.append(ass_escape(content[position:begin]))
        following = words[k + 1]["start_ms"] if k + 1 < len(words) else word["end_ms"]
        centis = max(1, round((following - max(clock, word["start_ms"])) / 10))
        if word["start_ms"] > clock + 10:  # silence before the word: nothing lights up
            out.append(f"{{\\k{round((word['start_ms'] - clock) / 10)}}}")
        out.append(f"{{\\k{centis}}}" + ass_escape(content[begin:end]))
        clock = max(clock, word["start_ms"]) + centis * 10
        position = end
    out.append(ass_escape(content[position:]))
    return "".join(out)


def _find_skipping_breaks(content: str, word: str, position: int) -> tuple[int, int] | None:
    """Where `word` occurs from `position`, allowing line breaks/spaces the wrap put inside it."""
    i = position
    while i < len(content) and content[i] in " \n":
        i += 1
    begin, j = i, 0
    while j < len(word) and i < len(content):
        if content[i] == word[j]:
            i, j = i + 1, j + 1
        elif content[i] in " \n-" and word[j] != content[i]:
            i += 1
        else:
            return None
    return (begin, i) if j == len(word) else None
