"""Writing files so that readers only ever see them complete."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_write(dest: Path) -> Iterator[Path]:
    """A temporary path beside `dest` to write to; renamed onto `dest` when the block succeeds, removed
    when it fails. The rename stays on one filesystem, so `dest` is either the old file or the new one,
    never a partial write, even with concurrent writers. The temporary name keeps `dest`'s suffix, so
    tools that pick a format by extension (ffmpeg) write the right one."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.stem}.{uuid.uuid4().hex}.part{dest.suffix}")
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
