"""The finished video: shots with motion, subtitles, mastered audio, branding.

plan (frames, presenter clips, chunks; pure) → graph (filter graphs) → encode (processes, parallel chunks,
mux), with mastering (loudness, ducking) alongside and branding (logo, watermark, cover) after. Every
ffmpeg process is started by batchvideo_media.probe.

Design (bench/compose.py: 12 stills + 60 s narration at 1360×768 on 2 cores — the plain concat
encode of the stills ≈ 5–6 s, this path ≈ 1.2× that, looped overlays ≈ 15×, MoviePy ≈ 13×):
- each still is decoded, scaled and converted to yuv420p once, then repeated in memory with `loop`;
  nothing is converted to RGB per frame;
- motion is a moving `crop` window over a slightly enlarged still (no per-frame rescale, unlike
  zoompan), stepping 2 px (chroma-aligned) in time with the B-frame pattern, so the encoder sees
  exact whole-pixel shifts and codes a panned still almost as cheaply as a static one;
- subtitles come from an ASS file rendered by libass, so no cue text ever enters a filter string;
- transitions: `xfade` only ever sees the few frames it blends (it has no yuv420p path in ffmpeg 5);
- the video is cut into chunks at shot boundaries, encoded by `workers` ffmpeg processes in parallel
  (one x264 thread each: no frame-threading overhead) and joined by stream copy; a transition that
  crosses a chunk boundary is rebuilt from the previous shot's tail. Each process holds at most
  CHUNK_MAX_SHOTS stills, so memory does not grow with the video's length (~300 MB for 60 s or 10 min);
- audio (mix, ducking, loudness normalisation, AAC) runs concurrently with the video and is
  stream-copied into the result;
- branding re-encodes in parallel parts with the cheapest x264 preset; the cover is a stream-copy remux.
"""

from batchvideo_media.compose.branding import attach_cover, brand, logo_box
from batchvideo_media.compose.encode import compose, render_composition
from batchvideo_media.compose.graph import MOTION_SCALE, X264, X264_CRF, X264_PARAMS, X264_PRESET, pip_box
from batchvideo_media.compose.mastering import AAC, TARGET_LUFS, master_audio
from batchvideo_media.compose.plan import (
    CHUNK_MAX_S,
    CHUNK_MAX_SHOTS,
    FPS,
    Overlay,
    ShotMedia,
    apply_presenter,
    frame_counts,
    plan_chunks,
)
from batchvideo_media.compose.tracker import ProcessTracker, default_workers

# What the assets, the benchmark and the tests use; the rest stays in its module.
__all__ = [
    "AAC", "CHUNK_MAX_S", "CHUNK_MAX_SHOTS", "FPS", "MOTION_SCALE", "TARGET_LUFS", "X264", "X264_CRF",
    "X264_PARAMS", "X264_PRESET", "Overlay", "ProcessTracker", "ShotMedia", "apply_presenter", "attach_cover",
    "brand", "compose", "default_workers", "frame_counts", "logo_box", "master_audio", "pip_box", "plan_chunks",
    "render_composition",
]
