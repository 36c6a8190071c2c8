"""Configuration read from the environment, resolved lazily so tests can point it elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def data_dir() -> Path:
    """Working data of a local install: SQLite DB, media, stock library, sample assets."""
    return Path(_env("BATCHVIDEO_DATA_DIR", str(PROJECT_ROOT / "var"))).resolve()


def db_url() -> str:
    return _env("BATCHVIDEO_DB_URL") or f"sqlite:///{data_dir() / 'batchvideo.db'}"


def media_url() -> str:
    return _env("BATCHVIDEO_MEDIA_URL") or (data_dir() / "media").as_uri()


def stock_dir() -> Path:
    return Path(_env("BATCHVIDEO_STOCK_DIR", str(data_dir() / "stock"))).resolve()


def asset_roots() -> list[Path]:
    """Folders that script/account/voice file references may point into (relative paths only)."""
    raw = _env("BATCHVIDEO_ASSET_ROOTS")
    roots = raw.split(os.pathsep) if raw else [str(data_dir() / "assets")]
    return [Path(r).resolve() for r in roots if r]


def dagster_home() -> Path:
    return Path(_env("DAGSTER_HOME", str(PROJECT_ROOT / "dagster_home"))).resolve()


def get(name: str, default: str | None = None) -> str | None:
    return _env(name, default)


def service_url(explicit: str | None, env_name: str, what: str) -> str:
    """A model server's base URL: the resource's own setting, else `env_name`, else a clear error."""
    url = explicit or _env(env_name)
    if not url:
        raise ValueError(f"{what} backend 'http' needs a url ({env_name})")
    return url.rstrip("/")
