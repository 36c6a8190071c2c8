"""Planning (pure): which frames each shot gets, where presenter clips go, how the video is chunked."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from batchvideo_media.probe import MediaError

FPS = 25
TRANSITION_S = 0.5
CHUNK_MAX_S = 40          # a chunk holds at most this much video …
CHUNK_MAX_SHOTS = 8       # … and this many inputs, so one process's memory is bounded


@dataclass
class ShotMedia:
    kind: str  # "image", "broll" or "presenter" (a fullscreen digital-human clip)
    path: Path
    start_ms: int
    end_ms: int


@dataclass
class Overlay:
    """A presenter clip shown picture-in-picture (corner mode) over [start_ms, end_ms)."""

    path: Path
    start_ms: int
    end_ms: int


def frame_counts(shots: list[ShotMedia], fps: int = FPS, total_frames: int | None = None) -> list[int]:
    """Frames per shot from cumulative rounding, so the total matches the narration to one frame.

    With `total_frames`, the last shot absorbs the difference (it ends exactly with the narration)."""
    counts = []
    for shot in shots:
        counts.append(max(1, round(shot.end_ms * fps / 1000) - round(shot.start_ms * fps / 1000)))
    if total_frames is not None and counts:
        counts[-1] = max(1, counts[-1] + total_frames - sum(counts))
    return counts


# ---------------------------------------------------------------- digital human

def apply_presenter(shots: list[ShotMedia], clips: list[dict], mode: str,
                    clip_paths: list[Path]) -> tuple[list[ShotMedia], list[Overlay]]:
    """Insert digital-human clips: `fullscreen` clips replace the shots (or parts of shots) they cover,
    `corner` clips become picture-in-picture overlays. `clips` are {"start_ms", "end_ms"} dicts in the
    same order as `clip_paths`."""
    if mode == "none" or not clips:
        return list(shots), []
    if mode == "corner":
        return list(shots), [Overlay(Path(p), int(c["start_ms"]), int(c["end_ms"])) for c, p in zip(clips, clip_paths)]
    if mode != "fullscreen":
        raise MediaError(f"digital human mode {mode!r}: expected none, fullscreen or corner")
    spans = sorted(((int(c["start_ms"]), int(c["end_ms"]), Path(p)) for c, p in zip(clips, clip_paths)),
                   key=lambda s: s[0])
    out: list[ShotMedia] = []
    for shot in shots:
        pieces = [(shot.start_ms, shot.end_ms)]
        for start, end, _ in spans:
            cut = []
            for a, b in pieces:
                if end <= a or start >= b:
                    cut.append((a, b))
                    continue
                if a < start:
                    cut.append((a, start))
                if end < b:
                    cut.append((end, b))
            pieces = cut
        # A sliver shorter than a few frames would flash; the neighbour absorbs it below.
        out += [ShotMedia(shot.kind, shot.path, a, b) for a, b in pieces if b - a >= 200]
    out += [ShotMedia("presenter", p, s, e) for s, e, p in spans if e > s]
    out.sort(key=lambda s: s.start_ms)
    # Close any gaps left by dropped slivers so the timeline stays contiguous.
    for prev, nxt in zip(out, out[1:]):
        if prev.end_ms != nxt.start_ms:
            if prev.kind == "presenter":
                nxt.start_ms = prev.end_ms
            else:
                prev.end_ms = nxt.start_ms
    if out and shots:
        out[0].start_ms = min(out[0].start_ms, shots[0].start_ms)
        out[-1].end_ms = max(out[-1].end_ms, shots[-1].end_ms)
    return out, []


# ---------------------------------------------------------------- chunks

@dataclass
class Piece:
    """Frames [first, first + frames) of shot `shot`'s visible span, as one filter-graph input."""

    shot: int
    first: int
    frames: int


@dataclass
class Chunk:
    index: int
    start_frame: int          # position of the chunk's first frame in the whole video
    frames: int               # frames the chunk contributes to the video
    shots: list[int]
    tail: Piece | None = None  # end of the previous chunk's last shot, faded into this chunk's first
    pieces: list[Piece] = field(default_factory=list)


def plan_chunks(counts: list[int], transition_frames: int, workers: int,
                max_frames: int = CHUNK_MAX_S * FPS, max_shots: int = CHUNK_MAX_SHOTS) -> list[Chunk]:
    """Split shots into contiguous chunks of similar length (at least `workers` when there are enough
    shots), each within `max_frames`/`max_shots` unless a single shot is longer."""
    n = len(counts)
    total = sum(counts)
    target = max(workers, math.ceil(total / max_frames), math.ceil(n / max_shots))
    target = max(1, min(n, target))
    ideal = total / target
    groups: list[list[int]] = []
    current: list[int] = []
    current_frames = 0
    before = 0  # frames before shot i
    for i, frames in enumerate(counts):
        if current and ((len(groups) < target - 1 and before + frames / 2 > ideal * (len(groups) + 1))
                        or len(current) >= max_shots or current_frames + frames > max_frames):
            groups.append(current)
            current, current_frames = [], 0
        current.append(i)
        current_frames += frames
        before += frames
    groups.append(current)
    tf = transition_frames
    chunks: list[Chunk] = []
    start = 0
    for k, group in enumerate(groups):
        pieces = []
        for j, i in enumerate(group):
            extend = tf if (tf and i < n - 1 and j < len(group) - 1) else 0
            pieces.append(Piece(i, 0, counts[i] + extend))
        tail = Piece(group[0] - 1, counts[group[0] - 1], tf) if (tf and k > 0) else None
        frames = sum(counts[i] for i in group)
        chunks.append(Chunk(k, start, frames, group, tail, pieces))
        start += frames
    return chunks
