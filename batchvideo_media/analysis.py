"""Media analysis behind the stage checks: is a narration, subtitle file, picture, clip, video or cover
what the pipeline meant to make? Plain functions of files and values (no Dagster, no media store), so
they can be run on any file, broken ones included.

Each `*_findings` function returns `Findings`: the problems found (none = good) and measured facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import srt as srtlib
from PIL import Image

from batchvideo_media.compose.mastering import TARGET_LUFS
from batchvideo_media.motion import BLACK_MIN_S, FREEZE_MIN_S, FREEZE_NOISE_DB, Stretch, logged_intervals
from batchvideo_media.probe import MediaError, MediaInfo, measure_loudness, probe, read_ffmpeg, run_ffmpeg
from batchvideo_media.segment import is_url
from batchvideo_media.subtitles import CHAIN_GAP_FRAMES, FPS, MAX_LINES, MIN_GAP_FRAMES, wrap
from batchvideo_media.text import text_width

LOUDNESS_TOLERANCE_LU = 1.0
DURATION_TOLERANCE_MS = 100
AUDIO_TIMING_TOLERANCE_MS = 5
# The narration ends with a short tail of silence after the last sentence (join_wavs lead_ms), plus up
# to the reading pause a last cue may need (subtitles.reading_pause_ms: 12 frames and the 2-frame gap);
# anything longer means the stored timings do not describe the file.
MAX_TAIL_MS = 400 + round((CHAIN_GAP_FRAMES + MIN_GAP_FRAMES) * 1000 / FPS)
SILENT_DB = -60.0
SHOT_EDGE_S = 0.6          # transitions blur shot boundaries by up to this much
TITLE_RGB = (255, 230, 90)  # render_cover draws the title in this colour on a darkened band
TITLE_MIN_FRACTION = 0.002


@dataclass
class Findings:
    """Problems found (empty = good) and measured facts."""

    problems: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems

    def fail(self, problem: str) -> None:
        self.problems.append(problem)

    def add(self, other: Findings) -> None:
        self.problems += other.problems
        self.facts.update(other.facts)


def probe_or_fail(path: Path, findings: Findings, what: str) -> MediaInfo | None:
    try:
        return probe(path)
    except MediaError as exc:
        findings.fail(f"{what} does not decode: {str(exc)[-200:]}")
        return None


def max_volume_db(path: Path) -> float:
    """Peak sample level of the first audio stream in dBFS (volumedetect reads digital silence as −91)."""
    log = run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"], loglevel="info")
    match = re.search(r"max_volume:\s*(-?[\d.]+|-inf) dB", log)
    if not match or match.group(1) == "-inf":
        return float("-inf")
    return float(match.group(1))


# ------------------------------------------------------------------------------------ narration
def timing_findings(sentences: list[dict], duration_ms: int, supplied: bool = False) -> Findings:
    """Sentence timings ({text, start_ms, end_ms}) are ordered, non-empty and describe a narration of
    `duration_ms`. `supplied`: the narration came from the user (timings from ASR), so it may end in
    silence."""
    found = Findings()
    if not sentences:
        found.fail("no sentence timings")
    if duration_ms <= 0:
        found.fail(f"duration_ms is {duration_ms}")
    prev_end = 0
    for i, s in enumerate(sentences):
        if not str(s.get("text", "")).strip():
            found.fail(f"sentence {i} has no text")
        if not 0 <= s["start_ms"] < s["end_ms"]:
            found.fail(f"sentence {i} has start {s['start_ms']} ms ≥ end {s['end_ms']} ms")
        if s["start_ms"] < prev_end:
            found.fail(f"sentence {i} starts at {s['start_ms']} ms, before the previous one ends ({prev_end} ms)")
        prev_end = max(prev_end, s["end_ms"])
    if sentences and prev_end > duration_ms + AUDIO_TIMING_TOLERANCE_MS:
        found.fail(f"last sentence ends at {prev_end} ms, after the audio ({duration_ms} ms)")
    if sentences and not supplied and duration_ms - prev_end > MAX_TAIL_MS:
        found.fail(f"audio runs {duration_ms - prev_end} ms past the last sentence; timings do not match the file")
    return found


def narration_findings(path: Path, duration_ms: int) -> Findings:
    """The narration file decodes, has audio, lasts `duration_ms` and is not silent."""
    found = Findings()
    info = probe_or_fail(path, found, "audio")
    if info is None:
        return found
    actual = round(info.duration_s * 1000)
    found.facts.update({"file_duration_ms": actual, "size_bytes": info.size_bytes})
    if info.audio_codec is None:
        found.fail("audio file has no audio stream")
    elif abs(actual - duration_ms) > max(AUDIO_TIMING_TOLERANCE_MS, 25):
        found.fail(f"file lasts {actual} ms but the stored duration is {duration_ms} ms")
    else:
        peak = max_volume_db(path)
        found.facts["max_volume_db"] = peak if peak != float("-inf") else -999.0
        if peak < SILENT_DB:
            found.fail(f"narration is silent (peak {peak} dB)")
    return found


# ------------------------------------------------------------------------------------ subtitles
def srt_findings(data: bytes, manifest_cues: int, limit: int, audio_ms: int) -> Findings:
    """An SRT file parses, has `manifest_cues` cues that are monotonic, never overlap, end inside the
    audio, keep to MAX_LINES lines of at most `limit` display-width units (one line when the text fits
    one; a web address may run over on a line of its own) and leave the Netflix guide's 2 frames
    between cues."""
    found = Findings()
    cues: list[srtlib.Subtitle] = []
    try:
        cues = list(srtlib.parse(data.decode("utf-8"), ignore_errors=False))
    except (UnicodeDecodeError, srtlib.SRTParseError, ValueError) as exc:
        found.fail(f"subtitle file does not parse: {str(exc)[:200]}")
    if not cues and found.passed:
        found.fail("subtitle file has no cues")
    if cues and len(cues) != manifest_cues:
        found.fail(f"file has {len(cues)} cues, the manifest {manifest_cues}")
    widest = 0
    for prev, cue in zip([None, *cues], cues):
        start, end = cue.start.total_seconds() * 1000, cue.end.total_seconds() * 1000
        if start >= end:
            found.fail(f"cue {cue.index} is empty in time ({start:.0f}–{end:.0f} ms)")
        if prev is not None and cue.start < prev.start:
            found.fail(f"cue {cue.index} starts before cue {prev.index} (not monotonic)")
        elif prev is not None and cue.start < prev.end:
            found.fail(f"cue {cue.index} overlaps cue {prev.index}")
        elif prev is not None and (cue.start - prev.end).total_seconds() * 1000 < MIN_GAP_FRAMES * 1000 / FPS - 1:
            found.fail(f"cue {cue.index} follows cue {prev.index} with less than {MIN_GAP_FRAMES} frames between")
        if end > audio_ms + 1:
            found.fail(f"cue {cue.index} ends at {end:.0f} ms, after the audio ({audio_ms} ms)")
        lines = cue.content.split("\n")
        if not cue.content.strip():
            found.fail(f"cue {cue.index} has no text")
        if len(lines) > MAX_LINES:
            found.fail(f"cue {cue.index} has {len(lines)} lines (limit {MAX_LINES})")
        elif len(lines) > 1 and len(wrap(" ".join(lines) if " " in cue.content else "".join(lines), limit)) == 1:
            found.fail(f"cue {cue.index} is on {len(lines)} lines but fits on one")
        for line in lines:
            width = text_width(line)
            widest = max(widest, width)
            if width > limit and not is_url(line):
                found.fail(f"cue {cue.index} line {line[:30]!r} is {width} units wide (limit {limit})")
    found.facts.update({"cues": len(cues), "line_limit": limit, "widest_line": widest, "audio_ms": audio_ms})
    return found


# ------------------------------------------------------------------------------- pictures, clips
def image_findings(path: Path, size: tuple[int, int], what: str) -> Findings:
    """A picture decodes completely and is `size` pixels."""
    found = Findings()
    try:
        with Image.open(path) as img:
            img.load()
            if img.size != size:
                found.fail(f"{what} is {img.size[0]}x{img.size[1]}, not {size[0]}x{size[1]}")
    except Exception as exc:  # noqa: BLE001 - any decoder error means a broken file
        found.fail(f"{what} does not decode ({type(exc).__name__}: {exc})")
    return found


def clip_findings(path: Path, size: tuple[int, int], want_ms: int | None, what: str,
                  decode_frames: bool = True) -> Findings:
    """A video clip has a video stream of `size`, lasts `want_ms` (± DURATION_TOLERANCE_MS) and (with
    `decode_frames`) every frame decodes. A clip an ffmpeg encode has just written whole needs no
    second decode: `decode_frames=False` reads its header only."""
    found = Findings()
    info = probe_or_fail(path, found, what)
    if info is None:
        return found
    if info.video_codec is None:
        found.fail(f"{what} has no video stream")
        return found
    if (info.width, info.height) != size:
        found.fail(f"{what} is {info.width}x{info.height}, not {size[0]}x{size[1]}")
    if want_ms is not None and abs(info.duration_s * 1000 - want_ms) > DURATION_TOLERANCE_MS:
        found.fail(f"{what} lasts {info.duration_s * 1000:.0f} ms, the shot {want_ms} ms")
    if not decode_frames:
        return found
    try:  # decode every frame: a truncated clip fails here even when the header probes
        run_ffmpeg(["-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"])
    except MediaError as exc:
        found.fail(f"{what} does not decode: {str(exc)[-200:]}")
    return found


# ------------------------------------------------------------------------------------------ video
def black_and_frozen(path: Path, duration_s: float) -> tuple[list[Stretch], list[Stretch]]:
    """Black stretches (≥ BLACK_MIN_S) and frozen stretches (≥ FREEZE_MIN_S) in seconds."""
    log = run_ffmpeg(["-i", str(path), "-map", "0:v:0", "-an", "-vf",
                      f"blackdetect=d={BLACK_MIN_S}:pic_th=0.98:pix_th=0.10,"
                      f"freezedetect=n={FREEZE_NOISE_DB}dB:d={FREEZE_MIN_S}", "-f", "null", "-"], loglevel="info")
    black = [(float(a), float(b)) for a, b in re.findall(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)", log)]
    frozen = []
    for start, end in logged_intervals(log, "lavfi.freezedetect.freeze_start", "lavfi.freezedetect.freeze_end"):
        frozen.append((start, end if end is not None else duration_s))
    return black, frozen


def freeze_allowed(start: float, end: float, static_spans_ms: list[tuple[int, int]]) -> bool:
    """Stock footage may be static, so a freeze (seconds) inside one b-roll shot's span (ms) is fine;
    stills always pan."""
    return any(start >= a / 1000 - SHOT_EDGE_S and end <= b / 1000 + SHOT_EDGE_S for a, b in static_spans_ms)


def video_findings(path: Path, canvas: tuple[int, int], narration_ms: int,
                   static_spans_ms: list[tuple[int, int]], motion: bool = True,
                   measured: dict | None = None) -> Findings:
    """H.264 + AAC streams lasting the narration (± DURATION_TOLERANCE_MS) at `canvas`, loudness within
    LOUDNESS_TOLERANCE_LU of TARGET_LUFS and (when `motion`) no long black stretch nor frozen one
    outside `static_spans_ms`.

    `measured`: what the encode that wrote the file measured on its way out — `integrated_lufs` and the
    `black_s` / `frozen_s` stretches (see motion.py) — used instead of decoding the file again; the
    streams, durations and resolution are always read from the file's header."""
    found = Findings()
    info = probe_or_fail(path, found, "video")
    if info is None:
        return found
    video, audio = _check_streams(info, canvas, narration_ms, found)
    if audio is not None:
        _check_loudness(path, measured, found)
    if motion and video is not None:
        _check_motion(path, info.duration_s, static_spans_ms, measured, found)
    found.facts.update({"resolution": f"{info.width}x{info.height}", "narration_ms": narration_ms,
                        "measured_during_encode": measured is not None})
    return found


def _check_streams(info, canvas: tuple[int, int], narration_ms: int, found: Findings) -> tuple[dict | None, dict | None]:
    """Codecs, resolution and each stream's duration against the narration; the video stream (not a
    cover picture) and the audio stream, None where missing."""
    v = next((s for s in info.streams if s["codec_type"] == "video"
              and not s.get("disposition", {}).get("attached_pic")), None)
    a = next((s for s in info.streams if s["codec_type"] == "audio"), None)
    if v is None:
        found.fail("no video stream")
    elif v.get("codec_name") != "h264":
        found.fail(f"video codec is {v.get('codec_name')}, not h264")
    if a is None:
        found.fail("no audio stream")
    elif a.get("codec_name") != "aac":
        found.fail(f"audio codec is {a.get('codec_name')}, not aac")
    if v is not None and (info.width, info.height) != canvas:
        found.fail(f"resolution is {info.width}x{info.height}, not {canvas[0]}x{canvas[1]}")
    for name, stream in (("video", v), ("audio", a)):
        if stream is None:
            continue
        seconds = float(stream.get("duration") or info.duration_s)
        found.facts[f"{name}_duration_s"] = round(seconds, 3)
        if abs(seconds * 1000 - narration_ms) > DURATION_TOLERANCE_MS:
            found.fail(f"{name} stream lasts {seconds * 1000:.0f} ms, the narration {narration_ms} ms "
                       f"(tolerance {DURATION_TOLERANCE_MS} ms)")
    return v, a


def _check_loudness(path: Path, measured: dict | None, found: Findings) -> None:
    try:
        lufs = measured["integrated_lufs"] if measured else measure_loudness(path)["integrated_lufs"]
        found.facts["integrated_lufs"] = round(lufs, 2)
        if abs(lufs - TARGET_LUFS) > LOUDNESS_TOLERANCE_LU:
            found.fail(f"integrated loudness {lufs:.1f} LUFS is not within ±{LOUDNESS_TOLERANCE_LU} LU "
                       f"of {TARGET_LUFS} LUFS")
    except MediaError as exc:
        found.fail(f"loudness cannot be measured: {str(exc)[-200:]}")


def _check_motion(path: Path, duration_s: float, static_spans_ms: list[tuple[int, int]], measured: dict | None,
                  found: Findings) -> None:
    """No black stretch, and no frozen one outside a static b-roll shot."""
    try:
        black, frozen = ((measured["black_s"], measured["frozen_s"]) if measured
                         else black_and_frozen(path, duration_s))
    except MediaError as exc:
        found.fail(f"video does not decode: {str(exc)[-200:]}")
        return
    for start, end in black:
        found.fail(f"black from {start:.1f} s to {end:.1f} s")
    allowed = [(s, e) for s, e in frozen if freeze_allowed(s, e, static_spans_ms)]
    for start, end in frozen:
        if (start, end) not in allowed:
            found.fail(f"frozen from {start:.1f} s to {end:.1f} s")
    found.facts.update({"black_stretches": len(black), "frozen_stretches": len(frozen) - len(allowed),
                        "static_broll_stretches": len(allowed)})


# ------------------------------------------------------------------------------------------ cover
def title_fraction(path: Path) -> float:
    """Share of the title band (bottom 45 %) drawn in the title colour. The band is darkened
    before the title is drawn, so pixels this bright and yellow are the title's glyphs."""
    with Image.open(path) as img:
        img = img.convert("RGB")
        w, h = img.size
        band = img.crop((0, int(h * 0.55), w, h)).resize((max(1, w // 2), max(1, int(h * 0.45) // 2)))
    r, g, b = TITLE_RGB
    pixels = list(band.getdata())
    hits = sum(1 for pr, pg, pb in pixels if abs(pr - r) < 40 and abs(pg - g) < 45 and abs(pb - b) < 60)
    return hits / max(1, len(pixels))


def cover_findings(path: Path, canvas: tuple[int, int]) -> Findings:
    """The cover is a JPEG of `canvas` size with the title drawn on it."""
    found = Findings()
    try:
        with Image.open(path) as img:
            fmt = img.format
            img.load()
            size = img.size
    except Exception as exc:  # noqa: BLE001
        found.fail(f"cover does not decode ({type(exc).__name__}: {exc})")
        return found
    if fmt != "JPEG":
        found.fail(f"cover is {fmt}, not JPEG")
    if size != canvas:
        found.fail(f"cover is {size[0]}x{size[1]}, not {canvas[0]}x{canvas[1]}")
    fraction = title_fraction(path)
    found.facts.update({"title_pixels_fraction": round(fraction, 4), "resolution": f"{size[0]}x{size[1]}"})
    if fraction < TITLE_MIN_FRACTION:
        found.fail(f"no title drawn on the cover (title-coloured pixels {fraction:.2%} of the band)")
    return found


# ------------------------------------------------------------------------------------------ logo
LOGO_MIN_CHANGE = 0.4  # of the change the logo should make to its corner of the frame


def frame_rgb(path: Path, at_s: float, size: tuple[int, int]) -> Image.Image:
    """The frame shown at `at_s`, decoded at `size`."""
    data = read_ffmpeg(["-ss", f"{at_s:.3f}", "-i", str(path), "-map", "0:v:0", "-frames:v", "1",
                        "-s", f"{size[0]}x{size[1]}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    if len(data) < size[0] * size[1] * 3:
        raise MediaError(f"no frame at {at_s:.2f} s in {path}")
    return Image.frombytes("RGB", size, data[:size[0] * size[1] * 3])


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    from PIL import ImageChops, ImageStat

    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def logo_findings(branded: Path, plain: Path, logo: Path, box: tuple[int, int, int], canvas: tuple[int, int],
                  at_s: float) -> Findings:
    """The logo is visible where it was placed: the branded frame's logo corner differs from the plain
    (unbranded) frame at least `LOGO_MIN_CHANGE` as much as the logo composited there would make it."""
    found = Findings()
    logo_w, x, y = box
    try:
        with Image.open(logo) as img:
            mark = img.convert("RGBA")
        mark = mark.resize((logo_w, max(2, round(mark.height * logo_w / mark.width))))
        region = (x, y, x + mark.width, y + mark.height)
        before = frame_rgb(plain, at_s, canvas).crop(region)
        after = frame_rgb(branded, at_s, canvas).crop(region)
    except (MediaError, OSError) as exc:
        found.fail(f"logo: frames could not be compared ({str(exc)[-200:]})")
        return found
    expected = before.copy()
    expected.paste(mark, (0, 0), mark)
    should, did = _mean_difference(before, expected), _mean_difference(before, after)
    found.facts.update({"logo_expected_change": round(should, 2), "logo_measured_change": round(did, 2)})
    if should >= 2 and did < LOGO_MIN_CHANGE * should:
        found.fail(f"logo: not visible at {region[:2]} ({did:.1f} of an expected {should:.1f} mean change "
                   f"at {at_s:.1f} s)")
    return found
