"""Every test session gets its own data folder, SQLite DB, media root and Dagster instance."""

import os
import tempfile
from pathlib import Path

_ROOT = Path(tempfile.mkdtemp(prefix="batchvideo-tests-"))
os.environ["BATCHVIDEO_DATA_DIR"] = str(_ROOT / "data")
os.environ["DAGSTER_HOME"] = str(_ROOT / "dagster_home")
for _name in ("BATCHVIDEO_DB_URL", "BATCHVIDEO_MEDIA_URL", "BATCHVIDEO_STOCK_DIR", "BATCHVIDEO_ASSET_ROOTS",
              "BATCHVIDEO_LLM_BASE_URL", "BATCHVIDEO_TTS_BACKEND", "BATCHVIDEO_IMAGE_BACKEND", "BATCHVIDEO_EXECUTOR"):
    os.environ.pop(_name, None)
Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True)
(Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

import pytest  # noqa: E402

from batchvideo_resources import settings  # noqa: E402


@pytest.fixture(scope="session")
def prepared_db() -> str:
    """Migrated DB with reference data, sample assets and the sample stock library."""
    from batchvideo_app.catalog import (
        default_asset_root,
        ensure_sample_assets,
        seed_reference_data,
    )
    from batchvideo_resources.db import session_scope, upgrade
    from batchvideo_resources.stock import create_sample_library

    url = settings.db_url()
    upgrade(url)
    with session_scope(url) as session:
        seed_reference_data(session)
    ensure_sample_assets(default_asset_root())
    create_sample_library(settings.stock_dir(), seconds=4)
    return url


@pytest.fixture(scope="session")
def instance():
    import dagster as dg

    with dg.DagsterInstance.get() as inst:
        yield inst


def add(url: str, **fields) -> int:
    from batchvideo_app.catalog import add_script
    from batchvideo_resources.db import session_scope

    with session_scope(url) as session:
        return add_script(session, fields).id


PG_ADMIN = os.environ.get("BATCHVIDEO_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database on 127.0.0.1:5432, migrated, dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"batchvideo_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        from batchvideo_resources.db import engine_for

        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_databases():
    """Two fresh PostgreSQL databases: the Dagster instance's and the scripts table's."""
    import uuid

    from sqlalchemy import create_engine, text

    from batchvideo_resources.db import engine_for

    names = [f"bv_e2e_{kind}_{uuid.uuid4().hex[:6]}" for kind in ("dagster", "scripts")]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield [f"{base}/{n}" for n in names]
    finally:
        engine_for(f"{base}/{names[1]}").dispose()
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A migrated, seeded scripts DB on SQLite and on PostgreSQL; old rows soft-deleted (pg is shared)."""
    import datetime as dt

    from sqlalchemy import update

    from batchvideo_app.catalog import seed_reference_data
    from batchvideo_resources.db import Script, session_scope, upgrade

    url = f"sqlite:///{tmp_path / 'scripts.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    upgrade(url)
    with session_scope(url) as session:
        seed_reference_data(session)
        session.execute(update(Script).values(deleted_at=dt.datetime(2000, 1, 1)))
    return url


# Test layers, so `make test-fast` can run the pure logic and definitions alone (`-m unit`):
# unit = no database, no Dagster instance, no real media work; media = real ffmpeg/espeak-ng/torch work
# on small media (seconds per test); db = a scripts database (SQLite/PostgreSQL); e2e = runs through a
# Dagster instance (materializations, renders); ui = a live webserver/daemon. A module marks itself
# `media`; the database and instance layers follow from the fixtures a test uses.
LAYER_FIXTURES = (("e2e", {"instance"}), ("db", {"prepared_db", "db_url", "pg_url"}))


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("ui") or item.get_closest_marker("e2e"):
            continue
        fixtures = set(item.fixturenames)
        layer = next((name for name, needs in LAYER_FIXTURES if fixtures & needs), None)
        if layer is None and not item.get_closest_marker("media"):
            layer = "unit"
        if layer:
            item.add_marker(getattr(pytest.mark, layer))
