from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.orm import Session

from batchvideo_resources.configured import settings_fields
from batchvideo_resources.db import session_scope


class DatabaseResource(settings_fields("db")):
    """The scripts database (SQLite by default; any SQLAlchemy URL via BATCHVIDEO_DB_URL)."""

    # url: from the setting that feeds "db" (batchvideo_resources/settings.py).

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.url) as session:
            yield session
