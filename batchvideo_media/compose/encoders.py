"""Which H.264 encoder a step uses: NVENC on an NVIDIA GPU that has one, libx264 otherwise.

Chosen once per process: `h264_nvenc` when `nvidia-smi` sees a GPU, this ffmpeg lists the encoder and a
one-frame trial encode opens a session (the datacenter compute GPUs — A100, H100, H200 — have no NVENC
unit, and a container without the driver's `video` capability cannot reach it); `libx264` otherwise.
The composition and the branding record the choice in their metadata.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from batchvideo_media.probe import MediaError, read_ffmpeg, run_ffmpeg

LIBX264 = "libx264"
NVENC = "h264_nvenc"
# Constant-quality NVENC at about x264 crf 23 (composition) / crf 22 (branding, a second generation).
NVENC_ARGS = {"compose": ["-c:v", NVENC, "-preset", "p4", "-tune", "hq", "-rc", "vbr", "-cq", "23", "-b:v", "0",
                          "-pix_fmt", "yuv420p"],
              "brand": ["-c:v", NVENC, "-preset", "p2", "-rc", "vbr", "-cq", "22", "-b:v", "0",
                        "-pix_fmt", "yuv420p"]}


def choose_h264_encoder(ffmpeg_encoders: str, nvidia_gpu: bool, trial_encode_works) -> str:
    """NVENC when the step has an NVIDIA GPU, ffmpeg was built with the encoder (`ffmpeg -encoders`
    output) and `trial_encode_works()` (called only then) says a session opens; libx264 otherwise."""
    listed = re.search(rf"^\s*V\S*\s+{NVENC}\b", ffmpeg_encoders, re.M) is not None
    return NVENC if nvidia_gpu and listed and trial_encode_works() else LIBX264


def nvidia_gpu_present() -> bool:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    try:
        proc = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and "GPU " in proc.stdout


def nvenc_trial_encode() -> bool:
    try:
        run_ffmpeg(["-f", "lavfi", "-i", "color=c=gray:s=256x256:r=25:d=0.2", *NVENC_ARGS["compose"],
                    "-f", "null", "-"], timeout=60)
    except (MediaError, subprocess.TimeoutExpired):
        return False
    return True


@functools.cache
def h264_encoder() -> str:
    """The encoder of this process's H.264 encodes (probed once)."""
    return choose_h264_encoder(read_ffmpeg(["-encoders"]).decode("utf-8", "replace"), nvidia_gpu_present(),
                               nvenc_trial_encode)
