"""The local entry points, read from `make -n` (what they would run): the UI and media ports are variables,
and `make demo` records previews at the address `make dev` serves the media folder on."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dry_run(*args: str) -> str:
    return subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_dev_takes_its_web_and_media_ports_from_variables():
    out = dry_run("dev", "WEB_PORT=3100", "MEDIA_PORT=3101")
    assert re.search(r"http\.server 3101 --bind 127\.0\.0\.1", out), out
    assert re.search(r"BATCHVIDEO_MEDIA_PUBLIC_URL=http://127\.0\.0\.1:3101 \S+/dagster dev .* -p 3100", out), out


def test_demo_records_previews_where_dev_serves_the_media():
    for port in ("3001", "3101"):
        demo = re.search(r"BATCHVIDEO_MEDIA_PUBLIC_URL=(\S+) \S+/batchvideo demo", dry_run("demo", f"MEDIA_PORT={port}"))
        dev = re.search(r"BATCHVIDEO_MEDIA_PUBLIC_URL=(\S+) \S+/dagster dev", dry_run("dev", f"MEDIA_PORT={port}"))
        assert demo and dev and demo.group(1) == dev.group(1) == f"http://127.0.0.1:{port}"
