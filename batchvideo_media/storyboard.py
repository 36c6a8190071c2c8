"""Shots from subtitle cues: contiguous, covering the narration, with image/b-roll kinds."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field

import srt

STOPWORDS = set("""a an the and or but if of to in on at by for with from as is are was were be been this that
these those it its we you they he she i our your their not no so do does did have has had will would can
could should may might just than then there here what which who whom how when where why all any some more
most very about into over under up down out also only one two three""".split())


@dataclass
class Shot:
    index: int
    start_ms: int
    end_ms: int
    text: str
    prompt: str = ""
    keywords: list[str] = field(default_factory=list)
    kind: str = "image"

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    def to_dict(self) -> dict:
        return asdict(self)


def _ms(value) -> int:
    return round(value.total_seconds() * 1000)


def group_cues(cues: list[srt.Subtitle], total_ms: int, min_shot_ms: int = 7000,
               max_shot_ms: int | None = None) -> list[Shot]:
    """Merge consecutive cues until each shot lasts at least `min_shot_ms`.

    Every cue lands in exactly one shot; shot i ends where shot i+1's first cue starts, the
    first starts at 0 and the last ends at `total_ms`, so shots tile the narration exactly.
    A shot preferably starts at a sentence boundary (a pause before the cue) rather than
    between two cues of one sentence, unless it would then outgrow `max_shot_ms`
    (default 2 × `min_shot_ms`). Only narration shorter than `min_shot_ms` gives a shorter shot.
    """
    if total_ms <= 0:
        raise ValueError("narration has no duration")
    cues = [c for c in cues if _ms(c.start) < total_ms]
    if not cues:
        return [Shot(index=0, start_ms=0, end_ms=total_ms, text="")]
    max_shot_ms = max(max_shot_ms or 2 * min_shot_ms, min_shot_ms)
    groups: list[list[srt.Subtitle]] = [[]]
    group_start = 0
    previous_end = None
    for cue in cues:
        cue_start = _ms(cue.start)
        elapsed = cue_start - group_start
        at_pause = previous_end is None or cue_start > previous_end
        if groups[-1] and elapsed >= min_shot_ms and (at_pause or elapsed >= max_shot_ms):
            groups.append([])
            group_start = cue_start
        groups[-1].append(cue)
        previous_end = _ms(cue.end)
    if len(groups) > 1 and total_ms - _ms(groups[-1][0].start) < min_shot_ms:
        groups[-2].extend(groups.pop())  # a stub at the end joins the previous shot
    shots = []
    for i, group in enumerate(groups):
        start = 0 if i == 0 else _ms(group[0].start)
        end = total_ms if i == len(groups) - 1 else _ms(groups[i + 1][0].start)
        text = "".join(_join_text(c.content) for c in group)
        shots.append(Shot(index=i, start_ms=start, end_ms=end, text=text.strip()))
    return shots


def _join_text(content: str) -> str:
    lines = content.split("\n")
    out = lines[0]
    for line in lines[1:]:
        sep = " " if out and line and ord(out[-1]) < 0x2E80 and ord(line[0]) < 0x2E80 else ""
        out += sep + line
    return out + (" " if out and ord(out[-1]) < 0x2E80 else "")


def assign_kinds(shots: list[Shot], broll_ratio: float, seed: str) -> None:
    """Mark round(ratio × shots) shots as b-roll, spread evenly, never the first, stable per seed."""
    n = len(shots)
    count = min(max(0, round(max(0.0, min(1.0, broll_ratio)) * n)), n - 1)
    for shot in shots:
        shot.kind = "image"
    if count <= 0:
        return
    candidates = list(range(1, n))
    step = len(candidates) / count
    offset = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 1000 / 1000 * step
    chosen = {candidates[min(len(candidates) - 1, int(offset + k * step))] for k in range(count)}
    k = 0
    while len(chosen) < count:  # collisions from rounding: fill the first free slots
        if candidates[k] not in chosen:
            chosen.add(candidates[k])
        k += 1
    for i in chosen:
        shots[i].kind = "broll"


GENERIC_KEYWORDS = ["background", "abstract"]


def keywords_from_text(text: str, fallback: list[str], limit: int = 4, minimum: int = 2) -> list[str]:
    """2–4 English search words for stock footage when no LLM gives them: words of the shot
    text, then `fallback` (the topic's words), then neutral background words."""
    # Whole words (clean_keywords keeps the ASCII ones): an ASCII run inside "Brücke" is no word ("cke").
    words = [*re.findall(r"[^\W\d_][\w\-]{2,}", text), *fallback]
    return clean_keywords(words, GENERIC_KEYWORDS, limit=limit, minimum=minimum)


def clean_keywords(words: list[str], fallback: list[str], limit: int = 4, minimum: int = 2) -> list[str]:
    """Lower-case ASCII search words, no stopwords or repeats, padded from `fallback` to `minimum`."""
    seen: list[str] = []
    for raw in words:
        w = " ".join(str(raw).strip().lower().split())
        if w and w.isascii() and any(c.isalpha() for c in w) and w not in STOPWORDS and w not in seen:
            seen.append(w)
    for raw in fallback:
        if len(seen) >= minimum:
            break
        w = str(raw).strip().lower()
        if w and w.isascii() and w.isalpha() and w not in STOPWORDS and w not in seen:
            seen.append(w)
    return seen[:limit]


def template_prompt(text: str, prefix: str, image_prompt: str) -> str:
    parts = [p.strip() for p in (prefix, image_prompt, f"scene illustrating: {text.strip()}") if p and p.strip()]
    return ", ".join(parts)
