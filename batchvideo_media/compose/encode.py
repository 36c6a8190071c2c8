"""Running the composition: the parallel chunked encode and the mux."""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from batchvideo_media.compose.encoders import LIBX264, NVENC_ARGS, h264_encoder
from batchvideo_media.compose.graph import X264_CRF, X264_PARAMS, X264_PRESET, build_chunk_command
from batchvideo_media.compose.mastering import AAC, TARGET_LUFS, master_audio
from batchvideo_media.compose.plan import FPS, TRANSITION_S, Overlay, ShotMedia, frame_counts, plan_chunks
from batchvideo_media.compose.tracker import ProcessTracker, available_cores, default_workers
from batchvideo_media.motion import faults_in_parts
from batchvideo_media.probe import MediaError
from batchvideo_media.process import time_limit


def compose(shots: list[ShotMedia], audio: Path, ass: Path | None, out: Path, width: int, height: int, *,
            canvas: tuple[int, int] | None = None, transitions: list[str] | None = None,
            overlays: list[Overlay] | None = None, duration_ms: int | None = None,
            workers: int | None = None, threads: int | None = None, tracker: ProcessTracker | None = None,
            audio_ready: "threading.Event | None" = None, timeout: float | None = None, encoder: str | None = None) -> dict:
    """Render `shots` with burned `ass` subtitles, muxed with `audio` (stream-copied when it is AAC).
    `encoder`: libx264 or h264_nvenc; by default whichever this process has (encoders.h264_encoder).

    Returns facts for metadata: chunks, frames, workers, encoder, black/frozen stretches. Each ffmpeg
    gets `timeout` seconds, by default a limit that follows the video's duration."""
    if not shots:
        raise MediaError("no shots to compose")
    encoder = encoder or h264_encoder()
    workers = workers or default_workers()
    tracker = tracker or ProcessTracker()
    if timeout is None:
        timeout = time_limit(duration_ms / 1000 if duration_ms else sum(s.end_ms - s.start_ms for s in shots) / 1000)
    total_frames = round(duration_ms * FPS / 1000) if duration_ms else None
    counts = frame_counts(shots, total_frames=total_frames)
    tf = round(TRANSITION_S * FPS) if (transitions and len(shots) > 1) else 0
    if tf:
        tf = max(0, min(tf, min(counts) - 1))
    chunks = plan_chunks(counts, tf, workers)
    per_proc_threads = threads or max(1, available_cores() // min(workers, len(chunks)))
    seg_dir = out.parent / f".{out.stem}.chunks"
    seg_dir.mkdir(parents=True, exist_ok=True)
    try:
        segs = [seg_dir / f"c{c.index:04d}.mp4" for c in chunks]
        commands = [build_chunk_command(c, shots, counts, seg, width, height, ass=ass, canvas=canvas,
                                        transitions=transitions, transition_frames=tf, overlays=overlays,
                                        threads=per_proc_threads, encoder=encoder)
                    for c, seg in zip(chunks, segs)]
        # Longest chunks first: the pool ends together.
        order = sorted(range(len(commands)), key=lambda k: -chunks[k].frames)
        logs: dict[int, str] = {}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {k: pool.submit(tracker.run, commands[k], timeout, "info", f"chunk{k}") for k in order}
            for k, fut in futures.items():
                logs[k] = fut.result()
        listing = seg_dir / "chunks.txt"
        listing.write_text("".join(f"file '{s.name}'\n" for s in segs), encoding="utf-8")
        if audio_ready is not None:
            audio_ready.wait()
        acodec = ["-c:a", "copy"] if audio.suffix.lower() in (".m4a", ".aac", ".mp4") else AAC
        tracker.run(["-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(audio), "-map", "0:v:0",
                     "-map", "1:a:0", "-c:v", "copy", *acodec, "-movflags", "+faststart", str(out)], timeout,
                    label="mux")
    finally:
        shutil.rmtree(seg_dir, ignore_errors=True)
    faults = faults_in_parts([logs[k] for k in range(len(chunks))], [c.start_frame / FPS for c in chunks],
                             sum(c.frames for c in chunks) / FPS, slack_s=1.5 / FPS)
    return {"chunks": len(chunks), "frames": sum(counts), "workers": workers,
            "transition_frames": tf, "encoder": encoder,
            "encoder_settings": f"{X264_PRESET} crf{X264_CRF} {X264_PARAMS}" if encoder == LIBX264
            else " ".join(NVENC_ARGS["compose"][2:]),
            "black_s": faults["black"], "frozen_s": faults["frozen"]}


def render_composition(shots: list[ShotMedia], narration: Path, ass: Path | None, out: Path, width: int,
                       height: int, duration_ms: int, *, bgm: Path | None = None, target_lufs: float = TARGET_LUFS,
                       canvas: tuple[int, int] | None = None, transitions: list[str] | None = None,
                       overlays: list[Overlay] | None = None, workers: int | None = None,
                       tracker: ProcessTracker | None = None, encoder: str | None = None) -> dict:
    """The whole `composed_video`: audio mastering (in a thread) alongside the chunked video encode,
    then one stream-copy mux. Returns metadata facts, including the measured loudness of the result."""
    tracker = tracker or ProcessTracker()
    mix = out.parent / f".{out.stem}.mix.m4a"
    done = threading.Event()
    result: dict = {}

    def audio_job() -> None:
        try:
            result.update(master_audio(narration, mix, duration_ms / 1000, bgm=bgm, target_lufs=target_lufs,
                                       tracker=tracker))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc
            tracker.cancel()
        finally:
            done.set()

    thread = threading.Thread(target=audio_job, name="master-audio", daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        facts = compose(shots, mix, ass, out, width, height, canvas=canvas, transitions=transitions,
                        overlays=overlays, duration_ms=duration_ms, workers=workers, tracker=tracker,
                        audio_ready=done, encoder=encoder)
    except MediaError:
        done.wait()
        if "error" in result:
            raise result["error"] from None
        raise
    finally:
        thread.join()
        mix.unlink(missing_ok=True)
    if "error" in result:
        raise result["error"]
    facts.update(result)
    facts["render_s"] = round(time.monotonic() - started, 2)
    facts["ffmpeg_cpu_s"] = round(sum(s["cpu_s"] for s in tracker.stats), 2)
    return facts
