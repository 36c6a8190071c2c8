"""Black and frozen stretches of a video, detected on the frames an encode is already producing.

The composition and the branding encode a video in parallel parts; each part's filter graph ends in
`DETECT_FILTERS` (pass-through filters that log what they see), so the check of the finished file needs
no second decode. A part only sees its own frames, so detection runs with short minimum durations and
the stretches that touch a part boundary are joined with the ones continuing in the next part; the
check then keeps the stretches long enough to be a fault (analysis.BLACK_MIN_S / FREEZE_MIN_S).
"""

from __future__ import annotations

import re

BLACK_MIN_S = 1.0          # a black stretch this long is a broken render (transitions are 0.5 s)
FREEZE_MIN_S = 3.0         # stills pan continuously, so a frozen image shot is a broken render
FREEZE_NOISE_DB = -60
# Shorter than any fault, so a fault split across two parts is still seen in both halves.
PART_BLACK_MIN_S = 0.04
PART_FREEZE_MIN_S = 0.2
DETECT_FILTERS = (f"blackdetect=d={PART_BLACK_MIN_S}:pic_th=0.98:pix_th=0.10,"
                  f"freezedetect=n={FREEZE_NOISE_DB}dB:d={PART_FREEZE_MIN_S}")
Stretch = tuple[float, float]


def logged_intervals(log: str, start_key: str, end_key: str) -> list[tuple[float, float | None]]:
    """(start, end) pairs of `key: value` log lines; an interval still open at the end has end None."""
    starts = [float(x) for x in re.findall(rf"{start_key}[:=]\s*(-?[\d.]+)", log)]
    ends = [float(x) for x in re.findall(rf"{end_key}[:=]\s*(-?[\d.]+)", log)]
    return list(zip(starts, ends + [None] * (len(starts) - len(ends))))


def stretches_in_log(log: str, duration_s: float, offset_s: float = 0.0) -> tuple[list[Stretch], list[Stretch]]:
    """Black and frozen stretches that blackdetect/freezedetect logged for a video (or a part of one
    starting at `offset_s`) of `duration_s`, in seconds of the whole video."""
    black = [(offset_s + float(a), offset_s + float(b))
             for a, b in re.findall(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)", log)]
    frozen = [(offset_s + start, offset_s + (end if end is not None else duration_s))
              for start, end in logged_intervals(log, "lavfi.freezedetect.freeze_start",
                                                 "lavfi.freezedetect.freeze_end")]
    return black, frozen


def join_at_boundaries(stretches: list[Stretch], boundaries_s: list[float], slack_s: float) -> list[Stretch]:
    """Join a stretch that ends at a part boundary with one that starts there (within `slack_s`):
    one stretch the parts saw in two halves. Stretches inside a part are never joined."""
    joined: list[Stretch] = []
    for start, end in sorted(stretches):
        if joined and any(abs(joined[-1][1] - b) <= slack_s and abs(start - b) <= slack_s for b in boundaries_s):
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def at_least(stretches: list[Stretch], seconds: float) -> list[Stretch]:
    return [(round(a, 3), round(b, 3)) for a, b in stretches if b - a >= seconds - 1e-6]


def faults_in_parts(logs: list[str], part_starts_s: list[float], duration_s: float,
                    slack_s: float) -> dict[str, list[Stretch]]:
    """The black (≥ BLACK_MIN_S) and frozen (≥ FREEZE_MIN_S) stretches of a video encoded in parts, from
    each part's log and start; `slack_s` (about a frame) is how close to a boundary a stretch must end."""
    ends = [*part_starts_s[1:], duration_s]
    black: list[Stretch] = []
    frozen: list[Stretch] = []
    for log, start, end in zip(logs, part_starts_s, ends):
        b, f = stretches_in_log(log, end - start, start)
        black += b
        frozen += f
    boundaries = part_starts_s[1:]
    return {"black": at_least(join_at_boundaries(black, boundaries, slack_s), BLACK_MIN_S),
            "frozen": at_least(join_at_boundaries(frozen, boundaries, slack_s), FREEZE_MIN_S)}
