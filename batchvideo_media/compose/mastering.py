"""Audio mastering: narration (+ music ducked under it) normalised to a loudness target."""

from __future__ import annotations

from pathlib import Path

from batchvideo_media.compose.tracker import ProcessTracker
from batchvideo_media.probe import MediaError, parse_ebur128, run_ffmpeg
from batchvideo_media.process import time_limit

# Integrated loudness of every finished video (EBU R128), the level streaming platforms normalise to;
# the video checks measure the result against it.
TARGET_LUFS = -14.0
AAC = ["-c:a", "aac", "-b:a", "160k", "-ar", "48000"]
BGM_FADE_S = 1.5


def _mix_graph(has_bgm: bool, duration_s: float, bgm_volume: float) -> str:
    if not has_bgm:
        return (f"[0:a]aformat=sample_rates=48000:channel_layouts=stereo,apad=whole_dur={duration_s:.3f},"
                f"atrim=duration={duration_s:.3f}[mix]")
    fade_at = max(0.0, duration_s - BGM_FADE_S)
    return (
        "[0:a]aformat=sample_rates=48000:channel_layouts=stereo,asplit=2[voice][key];"
        f"[1:a]aformat=sample_rates=48000:channel_layouts=stereo,volume={bgm_volume},"
        f"atrim=duration={duration_s:.3f},afade=t=in:d=0.5,afade=t=out:st={fade_at:.3f}:d={BGM_FADE_S}[bg];"
        # Music ducks under the voice (about 10 dB) and comes back within a sentence pause: the
        # narration keys a compressor on the music with a fast attack and a short release.
        "[bg][key]sidechaincompress=threshold=0.03:ratio=5:attack=20:release=180:knee=2:makeup=1[ducked];"
        f"[voice][ducked]amix=inputs=2:duration=first:normalize=0,apad=whole_dur={duration_s:.3f},"
        f"atrim=duration={duration_s:.3f}[mix]"
    )


def master_audio(narration: Path, out: Path, duration_s: float, bgm: Path | None = None,
                 target_lufs: float = TARGET_LUFS, bgm_volume: float = 0.3,
                 tracker: ProcessTracker | None = None) -> dict:
    """Narration (+ ducked music) normalised to `target_lufs` integrated (EBU R128), peaks held near −1.5 dBTP.

    Two passes: measure the mix (ebur128, cheap: no resampling), then apply the gain in one linear step
    with a look-ahead limiter catching the rare peaks, encode, and measure the result on the way out.
    `out` ending in .m4a/.aac gets AAC (ready to stream-copy into the MP4), anything else 48 kHz WAV.
    Returns the measured input loudness and the result's integrated loudness, true peak and LRA."""
    run = tracker.run if tracker else run_ffmpeg
    inputs = ["-i", str(narration)] + (["-stream_loop", "-1", "-i", str(bgm)] if bgm else [])
    graph = _mix_graph(bgm is not None, duration_s, bgm_volume)
    stderr = run(["-nostats", *inputs, "-filter_complex", graph + ";[mix]ebur128=framelog=verbose[m]",
                  "-map", "[m]", "-f", "null", "-"], timeout=time_limit(duration_s), loglevel="info")
    before = parse_ebur128(stderr)
    if before["integrated_lufs"] <= -69:
        raise MediaError("the narration is silent: nothing to normalise")
    gain_db = target_lufs - before["integrated_lufs"]
    codec = AAC if out.suffix.lower() in (".m4a", ".aac") else ["-c:a", "pcm_s16le", "-ar", "48000"]
    # Peaky narration (a large peak-to-loudness ratio) loses loudness in the limiter; the measured
    # shortfall is added and the pass repeated (rarely more than once), like loudnorm's dynamic mode.
    for _ in range(4):
        stderr = run(["-nostats", *inputs, "-filter_complex",
                      graph + f";[mix]aformat=sample_fmts=flt,volume={gain_db:.2f}dB,"
                      f"alimiter=limit={10 ** (-2.0 / 20):.4f}:attack=5:release=60:level=false:latency=true,"
                      f"atrim=duration={duration_s:.3f},asplit=2[m][q];[q]ebur128=framelog=verbose:peak=true[qm]",
                      "-map", "[m]", *codec, str(out), "-map", "[qm]", "-f", "null", "-"], timeout=time_limit(duration_s),
                     loglevel="info")
        after = parse_ebur128(stderr)
        miss = target_lufs - after["integrated_lufs"]
        if abs(miss) <= 0.3:
            break
        gain_db += miss * (1.3 if miss > 0 else 1.0)
    return {"measured_input_lufs": before["integrated_lufs"], "gain_db": round(gain_db, 2), **after}
