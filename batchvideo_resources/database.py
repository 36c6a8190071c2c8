from __future__ import annotations

import contextlib
from collections.abc import Iterator

import dagster as dg
from pydantic import Field
from sqlalchemy.orm import Session

from batchvideo_resources import settings
from batchvideo_resources.db import session_scope


class DatabaseResource(dg.ConfigurableResource):
    """The scripts database (SQLite by default; any SQLAlchemy URL via BATCHVIDEO_DB_URL)."""

    url: str | None = Field(default=None, description="SQLAlchemy URL; defaults to BATCHVIDEO_DB_URL")

    @property
    def resolved_url(self) -> str:
        return self.url or settings.db_url()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.resolved_url) as session:
            yield session
