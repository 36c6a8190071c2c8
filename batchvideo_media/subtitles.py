"""Subtitle cues from sentence timings: line wrapping, SRT and ASS output."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pysubs2
import srt

from batchvideo_media.text import char_width, text_width

# Line limits in display-width units (a CJK char counts 2): 13/8 CJK chars, 24/16 for word languages.
LINE_LIMITS = {(True, False): 26, (True, True): 16, (False, False): 24, (False, True): 16}
MAX_LINES = 2
_TOKEN = re.compile(r"\s+|[^\s\u2e80-\u9fff\uac00-\ud7af\u3000-\u303f\uff00-\uffef]+|.", re.S)


@dataclass(frozen=True)
class TimedSentence:
    text: str
    start_ms: int
    end_ms: int


def line_limit(square: bool, vertical: bool) -> int:
    return LINE_LIMITS[(bool(square), bool(vertical))]


def wrap(text: str, limit: int) -> list[str]:
    """Greedy wrap by display width; never breaks inside a word unless the word alone is too wide."""
    lines: list[str] = []
    current = ""
    for token in _TOKEN.findall(text.strip()):
        if token.isspace():
            if current:
                current += " "
            continue
        candidate = current + token
        if text_width(candidate.rstrip()) <= limit:
            current = candidate
            continue
        if current.strip():
            lines.append(current.strip())
        current = ""
        while text_width(token) > limit:  # a single over-long word or CJK-free run: hard split
            head, token = _take_width(token, limit)
            lines.append(head)
        current = token
    if current.strip():
        lines.append(current.strip())
    return lines


def _take_width(token: str, limit: int) -> tuple[str, str]:
    width = 0
    for i, ch in enumerate(token):
        width += char_width(ch)
        if width > limit:
            return token[:i], token[i:]
    return token, ""


def build_cues(sentences: list[TimedSentence], square: bool, vertical: bool,
               audio_ms: int | None = None) -> list[srt.Subtitle]:
    """One cue per sentence; a sentence longer than two lines becomes several cues with its
    time shared by display width. Cues never overlap and never run past `audio_ms`."""
    limit = line_limit(square, vertical)
    cues: list[srt.Subtitle] = []
    for sentence in sentences:
        lines = wrap(sentence.text, limit)
        if not lines:
            continue
        groups = [lines[i:i + MAX_LINES] for i in range(0, len(lines), MAX_LINES)]
        weights = [max(1, sum(text_width(line) for line in group)) for group in groups]
        total = sum(weights)
        span = sentence.end_ms - sentence.start_ms
        start, acc = sentence.start_ms, 0
        for group, weight in zip(groups, weights):
            acc += weight
            end = sentence.start_ms + round(span * acc / total)
            if audio_ms is not None:
                end = min(end, audio_ms)
            if cues:
                start = max(start, int(cues[-1].end.total_seconds() * 1000))
            if end > start:
                cues.append(srt.Subtitle(index=len(cues) + 1, start=timedelta(milliseconds=start),
                                         end=timedelta(milliseconds=end), content="\n".join(group)))
            start = end
    return cues


def to_srt(cues: list[srt.Subtitle]) -> str:
    return srt.compose(cues, reindex=True)


def parse_srt(text: str) -> list[srt.Subtitle]:
    return list(srt.parse(text))


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
