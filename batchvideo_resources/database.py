from __future__ import annotations

import contextlib
from collections.abc import Iterator

import dagster as dg
from pydantic import Field
from sqlalchemy.orm import Session

from batchvideo_resources.db import session_scope


class DatabaseResource(dg.ConfigurableResource):
    """The scripts database (SQLite by default; any SQLAlchemy URL via BATCHVIDEO_DB_URL)."""

    url: str = Field(description="SQLAlchemy URL (BATCHVIDEO_DB_URL)")

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.url) as session:
            yield session
