"""Asset checks: every stage's output is verified before anything downstream is built from it.

Each check is partitioned like its asset and blocking, so a bad output stops the run at that
stage (the run fails, the write-back row says FAILED with the check's description) instead of
flowing into the finished video. The verification logic lives in plain `evaluate_*` functions
that take the asset values and the media store, so tests can run them on broken artifacts too.
"""


import functools
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import srt as srtlib
from PIL import Image

from batchvideo_assets.assets.common import spec_of, workdir
from batchvideo_assets.partitions import scripts_partitions
from batchvideo_media.probe import MediaError, measure_loudness, probe, run_ffmpeg
from batchvideo_media.subtitles import MAX_LINES, line_limit
from batchvideo_media.text import text_width
from batchvideo_resources.media_store import MediaStore

TARGET_LUFS = -14.0
LOUDNESS_TOLERANCE_LU = 1.0
DURATION_TOLERANCE_MS = 100
AUDIO_TIMING_TOLERANCE_MS = 5
# The narration ends with a short tail of silence after the last sentence (join_wavs lead_ms);
# anything longer means the stored timings do not describe the file.
MAX_TAIL_MS = 400
SILENT_DB = -60.0
BLACK_MIN_S = 1.0          # a black stretch this long is a broken render (transitions are 0.5 s)
FREEZE_MIN_S = 3.0         # stills pan continuously, so a frozen image shot is a broken render
FREEZE_NOISE_DB = -60
SHOT_EDGE_S = 0.6          # transitions blur shot boundaries by up to this much
TITLE_RGB = (255, 230, 90)  # render_cover draws the title in this colour on a darkened band
TITLE_MIN_FRACTION = 0.002


@dataclass
class Verdict:
    """Problems found (empty = passed) and metadata for the UI."""

    problems: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems

    def fail(self, problem: str) -> None:
        self.problems.append(problem)

    def result(self) -> dg.AssetCheckResult:
        meta = dict(self.metadata)
        if self.problems:
            meta["problems"] = dg.MetadataValue.md("\n".join(f"- {p}" for p in self.problems[:20]))
        return dg.AssetCheckResult(
            passed=self.passed, severity=dg.AssetCheckSeverity.ERROR, metadata=meta,
            description="; ".join(self.problems[:5])[:1000] if self.problems else "ok")


def _local(media: MediaStore, key: str, tmp: Path, verdict: Verdict, what: str) -> Path | None:
    if not key or not media.exists(key):
        verdict.fail(f"{what}: {key or '(no key)'} is missing from the media store")
        return None
    try:
        return media.local_path(key, tmp)
    except (OSError, FileNotFoundError) as exc:
        verdict.fail(f"{what}: {key} cannot be read ({exc})")
        return None


def _probe(path: Path, verdict: Verdict, what: str):
    try:
        return probe(path)
    except MediaError as exc:
        verdict.fail(f"{what} does not decode: {str(exc)[-200:]}")
        return None


def _max_volume_db(path: Path) -> float:
    log = run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"], loglevel="info")
    match = re.search(r"max_volume:\s*(-?[\d.]+|-inf) dB", log)
    if not match or match.group(1) == "-inf":
        return float("-inf")
    return float(match.group(1))


# ---------------------------------------------------------------------------------------- audio
def evaluate_audio(audio: dict, media: MediaStore, supplied: bool = False) -> Verdict:
    """`supplied`: the narration came from the user (timings from ASR), so it may end in silence."""
    verdict = Verdict()
    sentences = audio.get("sentences") or []
    duration = audio.get("duration_ms") or 0
    if not sentences:
        verdict.fail("no sentence timings")
    if duration <= 0:
        verdict.fail(f"duration_ms is {duration}")
    prev_end = 0
    for i, s in enumerate(sentences):
        if not str(s.get("text", "")).strip():
            verdict.fail(f"sentence {i} has no text")
        if not 0 <= s["start_ms"] < s["end_ms"]:
            verdict.fail(f"sentence {i} has start {s['start_ms']} ms ≥ end {s['end_ms']} ms")
        if s["start_ms"] < prev_end:
            verdict.fail(f"sentence {i} starts at {s['start_ms']} ms, before the previous one ends ({prev_end} ms)")
        prev_end = max(prev_end, s["end_ms"])
    if sentences and prev_end > duration + AUDIO_TIMING_TOLERANCE_MS:
        verdict.fail(f"last sentence ends at {prev_end} ms, after the audio ({duration} ms)")
    if sentences and not supplied and duration - prev_end > MAX_TAIL_MS:
        verdict.fail(f"audio runs {duration - prev_end} ms past the last sentence; timings do not match the file")
    with workdir() as tmp:
        path = _local(media, audio.get("key", ""), tmp, verdict, "audio")
        if path is not None:
            info = _probe(path, verdict, "audio")
            if info is not None:
                actual = round(info.duration_s * 1000)
                verdict.metadata.update({"file_duration_ms": actual, "size_bytes": info.size_bytes})
                if info.audio_codec is None:
                    verdict.fail("audio file has no audio stream")
                elif abs(actual - duration) > max(AUDIO_TIMING_TOLERANCE_MS, 25):
                    verdict.fail(f"file lasts {actual} ms but the stored duration is {duration} ms")
                else:
                    peak = _max_volume_db(path)
                    verdict.metadata["max_volume_db"] = peak if peak != float("-inf") else -999.0
                    if peak < SILENT_DB:
                        verdict.fail(f"narration is silent (peak {peak} dB)")
    verdict.metadata.update({"duration_ms": duration, "sentences": len(sentences)})
    return verdict


# ------------------------------------------------------------------------------------------ srt
def evaluate_srt(srt: dict, script: dict, audio: dict, media: MediaStore) -> Verdict:
    verdict = Verdict()
    spec = spec_of(script)
    limit = line_limit(spec.language.square, spec.vertical_layout)
    audio_ms = audio["duration_ms"]
    cues: list[srtlib.Subtitle] = []
    try:
        text = media.read_bytes(srt["key"]).decode("utf-8")
        cues = list(srtlib.parse(text, ignore_errors=False))
    except FileNotFoundError:
        verdict.fail(f"{srt.get('key')} is missing from the media store")
    except (UnicodeDecodeError, srtlib.SRTParseError, ValueError) as exc:
        verdict.fail(f"subtitle file does not parse: {str(exc)[:200]}")
    if not cues and verdict.passed:
        verdict.fail("subtitle file has no cues")
    if cues and len(cues) != len(srt.get("cues", [])):
        verdict.fail(f"file has {len(cues)} cues, the manifest {len(srt.get('cues', []))}")
    widest = 0
    for prev, cue in zip([None, *cues], cues):
        start, end = cue.start.total_seconds() * 1000, cue.end.total_seconds() * 1000
        if start >= end:
            verdict.fail(f"cue {cue.index} is empty in time ({start:.0f}–{end:.0f} ms)")
        if prev is not None and cue.start < prev.start:
            verdict.fail(f"cue {cue.index} starts before cue {prev.index} (not monotonic)")
        elif prev is not None and cue.start < prev.end:
            verdict.fail(f"cue {cue.index} overlaps cue {prev.index}")
        if end > audio_ms + 1:
            verdict.fail(f"cue {cue.index} ends at {end:.0f} ms, after the audio ({audio_ms} ms)")
        lines = cue.content.split("\n")
        if not cue.content.strip():
            verdict.fail(f"cue {cue.index} has no text")
        if len(lines) > MAX_LINES:
            verdict.fail(f"cue {cue.index} has {len(lines)} lines (limit {MAX_LINES})")
        for line in lines:
            width = text_width(line)
            widest = max(widest, width)
            if width > limit:
                verdict.fail(f"cue {cue.index} line {line[:30]!r} is {width} units wide (limit {limit})")
    verdict.metadata.update({"cues": len(cues), "line_limit": limit, "widest_line": widest,
                             "audio_ms": audio_ms})
    return verdict


# --------------------------------------------------------------------------------------- splits
def evaluate_splits(splits: dict, audio: dict) -> Verdict:
    verdict = Verdict()
    shots = splits.get("shots") or []
    audio_ms = audio["duration_ms"]
    if not shots:
        verdict.fail("storyboard has no shots")
        return verdict
    if shots[0]["start_ms"] != 0:
        verdict.fail(f"first shot starts at {shots[0]['start_ms']} ms, not 0")
    for i, shot in enumerate(shots):
        if shot.get("index") != i:
            verdict.fail(f"shot {i} has index {shot.get('index')}")
        if shot.get("kind") not in ("image", "broll"):
            verdict.fail(f"shot {i} has kind {shot.get('kind')!r}")
        if shot["end_ms"] <= shot["start_ms"]:
            verdict.fail(f"shot {i} is empty ({shot['start_ms']}–{shot['end_ms']} ms)")
    for a, b in zip(shots, shots[1:]):
        if a["end_ms"] != b["start_ms"]:
            verdict.fail(f"gap or overlap between shot {a['index']} (ends {a['end_ms']} ms) and shot "
                         f"{b['index']} (starts {b['start_ms']} ms)")
    if abs(shots[-1]["end_ms"] - audio_ms) > 1:
        verdict.fail(f"last shot ends at {shots[-1]['end_ms']} ms but the narration lasts {audio_ms} ms")
    if shots[0].get("kind") == "broll":
        verdict.fail("the first shot is b-roll")
    kinds = [s.get("kind") for s in shots]
    verdict.metadata.update({"shots": len(shots), "image_shots": kinds.count("image"),
                             "broll_shots": kinds.count("broll"), "covered_ms": shots[-1]["end_ms"],
                             "audio_ms": audio_ms})
    return verdict


# --------------------------------------------------------------------------------- images/broll
def _expected(splits: dict, kind: str) -> set[str]:
    return {str(s["index"]) for s in splits["shots"] if s["kind"] == kind}


def _one_per_shot(verdict: Verdict, have: dict, splits: dict, kind: str) -> None:
    expected, got = _expected(splits, kind), set(have)
    if expected - got:
        verdict.fail(f"no {kind} for shot(s) {sorted(expected - got, key=int)}")
    if got - expected:
        verdict.fail(f"{kind} for shot(s) {sorted(got - expected, key=int)} that are not {kind} shots")


def evaluate_images(images: dict, script: dict, splits: dict, media: MediaStore) -> Verdict:
    verdict = Verdict()
    size = spec_of(script).size
    entries = images.get("images") or {}
    _one_per_shot(verdict, entries, splits, "image")
    with workdir() as tmp:
        for idx in sorted(entries, key=int):
            path = _local(media, entries[idx].get("key", ""), tmp, verdict, f"image {idx}")
            if path is None:
                continue
            try:
                with Image.open(path) as img:
                    img.load()
                    if img.size != size:
                        verdict.fail(f"image {idx} is {img.size[0]}x{img.size[1]}, not {size[0]}x{size[1]}")
            except Exception as exc:  # noqa: BLE001 - any decoder error means a broken file
                verdict.fail(f"image {idx} does not decode ({type(exc).__name__}: {exc})")
    verdict.metadata.update({"images": len(entries), "expected": len(_expected(splits, "image")),
                             "resolution": f"{size[0]}x{size[1]}"})
    return verdict


def evaluate_broll(broll_clips: dict, script: dict, splits: dict, media: MediaStore) -> Verdict:
    verdict = Verdict()
    size = spec_of(script).size
    entries = broll_clips.get("clips") or {}
    _one_per_shot(verdict, entries, splits, "broll")
    shots = {str(s["index"]): s for s in splits["shots"]}
    with workdir() as tmp:
        for idx in sorted(entries, key=int):
            path = _local(media, entries[idx].get("key", ""), tmp, verdict, f"b-roll {idx}")
            info = _probe(path, verdict, f"b-roll {idx}") if path is not None else None
            if info is None:
                continue
            if info.video_codec is None:
                verdict.fail(f"b-roll {idx} has no video stream")
                continue
            if (info.width, info.height) != size:
                verdict.fail(f"b-roll {idx} is {info.width}x{info.height}, not {size[0]}x{size[1]}")
            shot = shots.get(idx)
            if shot is not None:
                want = shot["end_ms"] - shot["start_ms"]
                if abs(info.duration_s * 1000 - want) > DURATION_TOLERANCE_MS:
                    verdict.fail(f"b-roll {idx} lasts {info.duration_s * 1000:.0f} ms, the shot {want} ms")
            try:  # decode every frame: a truncated clip fails here even when the header probes
                run_ffmpeg(["-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"])
            except MediaError as exc:
                verdict.fail(f"b-roll {idx} does not decode: {str(exc)[-200:]}")
    verdict.metadata.update({"clips": len(entries), "expected": len(_expected(splits, "broll")),
                             "resolution": f"{size[0]}x{size[1]}"})
    return verdict


# ---------------------------------------------------------------------------------------- video
def _intervals(log: str, start_key: str, end_key: str) -> list[tuple[float, float]]:
    starts = [float(x) for x in re.findall(rf"{start_key}[:=]\s*(-?[\d.]+)", log)]
    ends = [float(x) for x in re.findall(rf"{end_key}[:=]\s*(-?[\d.]+)", log)]
    return list(zip(starts, ends + [None] * (len(starts) - len(ends))))


def black_and_frozen(path: Path, duration_s: float) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Black stretches (≥ BLACK_MIN_S) and frozen stretches (≥ FREEZE_MIN_S) in seconds."""
    log = run_ffmpeg(["-i", str(path), "-map", "0:v:0", "-an", "-vf",
                      f"blackdetect=d={BLACK_MIN_S}:pic_th=0.98:pix_th=0.10,"
                      f"freezedetect=n={FREEZE_NOISE_DB}dB:d={FREEZE_MIN_S}", "-f", "null", "-"], loglevel="info")
    black = [(float(a), float(b)) for a, b in re.findall(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)", log)]
    frozen = []
    for start, end in _intervals(log, "lavfi.freezedetect.freeze_start", "lavfi.freezedetect.freeze_end"):
        frozen.append((start, end if end is not None else duration_s))
    return black, frozen


def _freeze_allowed(start: float, end: float, splits: dict | None) -> bool:
    """Stock footage may be static, so a freeze inside one b-roll shot is fine; stills always pan."""
    if not splits:
        return False
    for shot in splits["shots"]:
        if shot["kind"] != "broll":
            continue
        if start >= shot["start_ms"] / 1000 - SHOT_EDGE_S and end <= shot["end_ms"] / 1000 + SHOT_EDGE_S:
            return True
    return False


def evaluate_video(video: dict, script: dict, audio: dict, media: MediaStore, splits: dict | None = None,
                   motion: bool = True) -> Verdict:
    """Streams present, duration = narration ± 100 ms, resolution, loudness, and (when `motion`)
    no long black or frozen stretch."""
    verdict = Verdict()
    canvas = spec_of(script).canvas
    narration_ms = audio["duration_ms"]
    with workdir() as tmp:
        path = _local(media, video.get("key", ""), tmp, verdict, "video")
        info = _probe(path, verdict, "video") if path is not None else None
        if info is None:
            return verdict
        v = next((s for s in info.streams if s["codec_type"] == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
        a = next((s for s in info.streams if s["codec_type"] == "audio"), None)
        if v is None:
            verdict.fail("no video stream")
        elif v.get("codec_name") != "h264":
            verdict.fail(f"video codec is {v.get('codec_name')}, not h264")
        if a is None:
            verdict.fail("no audio stream")
        elif a.get("codec_name") != "aac":
            verdict.fail(f"audio codec is {a.get('codec_name')}, not aac")
        if v is not None and (info.width, info.height) != canvas:
            verdict.fail(f"resolution is {info.width}x{info.height}, not {canvas[0]}x{canvas[1]}")
        for name, stream in (("video", v), ("audio", a)):
            if stream is None:
                continue
            seconds = float(stream.get("duration") or info.duration_s)
            verdict.metadata[f"{name}_duration_s"] = round(seconds, 3)
            if abs(seconds * 1000 - narration_ms) > DURATION_TOLERANCE_MS:
                verdict.fail(f"{name} stream lasts {seconds * 1000:.0f} ms, the narration {narration_ms} ms "
                             f"(tolerance {DURATION_TOLERANCE_MS} ms)")
        if a is not None:
            try:
                lufs = measure_loudness(path)["integrated_lufs"]
                verdict.metadata["integrated_lufs"] = round(lufs, 2)
                if abs(lufs - TARGET_LUFS) > LOUDNESS_TOLERANCE_LU:
                    verdict.fail(f"integrated loudness {lufs:.1f} LUFS is not within ±{LOUDNESS_TOLERANCE_LU} LU "
                                 f"of {TARGET_LUFS} LUFS")
            except MediaError as exc:
                verdict.fail(f"loudness cannot be measured: {str(exc)[-200:]}")
        if motion and v is not None:
            try:
                black, frozen = black_and_frozen(path, info.duration_s)
            except MediaError as exc:
                verdict.fail(f"video does not decode: {str(exc)[-200:]}")
            else:
                for start, end in black:
                    verdict.fail(f"black from {start:.1f} s to {end:.1f} s")
                allowed = [(s, e) for s, e in frozen if _freeze_allowed(s, e, splits)]
                for start, end in frozen:
                    if (start, end) not in allowed:
                        verdict.fail(f"frozen from {start:.1f} s to {end:.1f} s")
                verdict.metadata.update({"black_stretches": len(black), "frozen_stretches": len(frozen) - len(allowed),
                                         "static_broll_stretches": len(allowed)})
        verdict.metadata.update({"resolution": f"{info.width}x{info.height}", "narration_ms": narration_ms})
    return verdict


# ---------------------------------------------------------------------------------------- cover
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


def evaluate_cover(cover: dict, script: dict, media: MediaStore) -> Verdict:
    verdict = Verdict()
    spec = spec_of(script)
    want_title = spec.publish_title or spec.title
    canvas = spec.canvas
    if cover.get("title") != want_title:
        verdict.fail(f"cover title is {cover.get('title')!r}, expected {want_title!r}")
    with workdir() as tmp:
        path = _local(media, cover.get("key", ""), tmp, verdict, "cover")
        if path is None:
            return verdict
        try:
            with Image.open(path) as img:
                fmt = img.format
                img.load()
                size = img.size
        except Exception as exc:  # noqa: BLE001
            verdict.fail(f"cover does not decode ({type(exc).__name__}: {exc})")
            return verdict
        if fmt != "JPEG":
            verdict.fail(f"cover is {fmt}, not JPEG")
        if size != canvas:
            verdict.fail(f"cover is {size[0]}x{size[1]}, not {canvas[0]}x{canvas[1]}")
        fraction = title_fraction(path)
        verdict.metadata.update({"title": want_title, "title_pixels_fraction": round(fraction, 4),
                                 "resolution": f"{size[0]}x{size[1]}"})
        if fraction < TITLE_MIN_FRACTION:
            verdict.fail(f"no title drawn on the cover (title-coloured pixels {fraction:.2%} of the band)")
    return verdict


# ------------------------------------------------------------------------------- check definitions
def _check(asset: str, name: str, description: str, additional: tuple[str, ...] = ()):
    def decorate(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            result: dg.AssetCheckResult = fn(*args, **kwargs)
            yield result
            if not result.passed:
                # Recorded as a failed check above; failing the step as well puts the problem (not
                # just the check's name) into the run's error and the script_runs row.
                raise dg.Failure(description=f"{asset} check {name} failed: {result.description}",
                                 allow_retries=False)

        with warnings.catch_warnings():  # partitioned checks are a Dagster preview feature
            warnings.simplefilter("ignore")
            return dg.asset_check(
                asset=asset, name=name, description=description, blocking=True,
                partitions_def=scripts_partitions, required_resource_keys={"media"},
                additional_ins={a: dg.AssetIn(a) for a in additional})(run)
    return decorate


@_check("audio", "narration_matches_timings",
        "Narration WAV exists, is not silent, and its duration equals the stored sentence timings.", ("script",))
def audio_check(context: dg.AssetCheckExecutionContext, audio: dict, script: dict) -> dg.AssetCheckResult:
    supplied = bool(spec_of(script).extra.audio)
    return evaluate_audio(audio, context.resources.media, supplied=supplied).result()


@_check("srt", "subtitles_valid",
        "SRT parses, cues are monotonic, never overlap, stay inside the audio and respect the line limits.",
        ("script", "audio"))
def srt_check(context: dg.AssetCheckExecutionContext, srt: dict, script: dict, audio: dict) -> dg.AssetCheckResult:
    return evaluate_srt(srt, script, audio, context.resources.media).result()


@_check("splits", "shots_cover_narration",
        "Shots start at 0, are contiguous and end exactly where the narration ends.", ("audio",))
def splits_check(context: dg.AssetCheckExecutionContext, splits: dict, audio: dict) -> dg.AssetCheckResult:
    return evaluate_splits(splits, audio).result()


@_check("images", "one_image_per_shot",
        "One decodable picture per image shot, at the video size.", ("script", "splits"))
def images_check(context: dg.AssetCheckExecutionContext, images: dict, script: dict,
                 splits: dict) -> dg.AssetCheckResult:
    return evaluate_images(images, script, splits, context.resources.media).result()


@_check("broll_clips", "one_clip_per_shot",
        "One decodable clip per b-roll shot, at the video size and the shot's duration.", ("script", "splits"))
def broll_check(context: dg.AssetCheckExecutionContext, broll_clips: dict, script: dict,
                splits: dict) -> dg.AssetCheckResult:
    return evaluate_broll(broll_clips, script, splits, context.resources.media).result()


@_check("composed_video", "playable_and_normalised",
        "H.264/AAC streams, duration = narration ± 100 ms, canvas resolution, loudness within ±1 LU of "
        "−14 LUFS, no black stretch ≥ 1 s and no frozen stretch ≥ 3 s outside static b-roll.",
        ("script", "audio", "splits"))
def composed_video_check(context: dg.AssetCheckExecutionContext, composed_video: dict, script: dict,
                         audio: dict, splits: dict) -> dg.AssetCheckResult:
    return evaluate_video(composed_video, script, audio, context.resources.media, splits).result()


@_check("logoed_video", "playable_and_normalised",
        "H.264/AAC streams, duration = narration ± 100 ms, canvas resolution, loudness within ±1 LU of "
        "−14 LUFS, no black or frozen stretch.", ("script", "audio", "splits"))
def logoed_video_check(context: dg.AssetCheckExecutionContext, logoed_video: dict, script: dict,
                       audio: dict, splits: dict) -> dg.AssetCheckResult:
    return evaluate_video(logoed_video, script, audio, context.resources.media, splits).result()


@_check("cover", "decodes_with_title", "Cover JPEG decodes at the canvas size and shows the title.", ("script",))
def cover_check(context: dg.AssetCheckExecutionContext, cover: dict, script: dict) -> dg.AssetCheckResult:
    return evaluate_cover(cover, script, context.resources.media).result()


asset_checks = [audio_check, srt_check, splits_check, images_check, broll_check, composed_video_check,
                logoed_video_check, cover_check]
