"""Outcome checks shared by the tests: ffprobe, SRT parsing, image decoding."""

import json
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import srt
from PIL import Image


def path_of(uri: str) -> Path:
    assert uri.startswith("file://"), uri
    return Path(urlparse(uri).path)


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
                          str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def streams(path: Path, kind: str) -> list[dict]:
    return [s for s in ffprobe(path)["streams"] if s["codec_type"] == kind
            and not s.get("disposition", {}).get("attached_pic")]


def wav_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def parse_srt(path: Path) -> list[srt.Subtitle]:
    return list(srt.parse(path.read_text(encoding="utf-8")))


def image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as img:
        img.load()
        return img.size
