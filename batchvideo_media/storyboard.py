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


def group_cues(cues: list[srt.Subtitle], total_ms: int, min_shot_ms: int = 7000) -> list[Shot]:
    """Merge consecutive cues until each shot lasts at least `min_shot_ms`.

    Every cue lands in exactly one shot; shot i ends where shot i+1's first cue starts, the
    first starts at 0 and the last ends at `total_ms`, so shots tile the narration exactly.
    """
    if total_ms <= 0:
        raise ValueError("narration has no duration")
    if not cues:
        return [Shot(index=0, start_ms=0, end_ms=total_ms, text="")]
    groups: list[list[srt.Subtitle]] = [[]]
    group_start = 0
    for cue in cues:
        cue_start = int(cue.start.total_seconds() * 1000)
        if groups[-1] and cue_start - group_start >= min_shot_ms:
            groups.append([])
            group_start = cue_start
        groups[-1].append(cue)
    if len(groups) > 1:
        last_start = int(groups[-1][0].start.total_seconds() * 1000)
        if total_ms - last_start < min_shot_ms / 2:  # a stub at the end joins the previous shot
            groups[-2].extend(groups.pop())
    shots = []
    for i, group in enumerate(groups):
        start = 0 if i == 0 else int(group[0].start.total_seconds() * 1000)
        end = total_ms if i == len(groups) - 1 else int(groups[i + 1][0].start.total_seconds() * 1000)
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


def keywords_from_text(text: str, fallback: list[str], limit: int = 4) -> list[str]:
    """English search words from the shot text (for stock footage) when no LLM gives them."""
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z\-]{2,}", text)]
    seen: list[str] = []
    for w in words:
        if w not in STOPWORDS and w not in seen:
            seen.append(w)
    for w in fallback:
        if len(seen) >= limit:
            break
        if w and w.lower() not in seen:
            seen.append(w.lower())
    return seen[:limit]


def template_prompt(text: str, prefix: str, image_prompt: str) -> str:
    parts = [p.strip() for p in (prefix, image_prompt, f"scene illustrating: {text.strip()}") if p and p.strip()]
    return ", ".join(parts)
