"""Every test session gets its own data folder, SQLite DB, media root and Dagster instance."""

import contextlib
import os
import signal
import tempfile
from pathlib import Path

_ROOT = Path(tempfile.mkdtemp(prefix="batchvideo-tests-"))
os.environ["BATCHVIDEO_DATA_DIR"] = str(_ROOT / "data")
os.environ["DAGSTER_HOME"] = str(_ROOT / "dagster_home")
for _name in ("BATCHVIDEO_DB_URL", "BATCHVIDEO_MEDIA_URL", "BATCHVIDEO_STOCK_DIR", "BATCHVIDEO_ASSET_ROOTS",
              "BATCHVIDEO_LLM_BASE_URL", "BATCHVIDEO_TTS_BACKEND", "BATCHVIDEO_IMAGE_BACKEND", "BATCHVIDEO_EXECUTOR",
              "BATCHVIDEO_CANVAS_SCALE"):
    os.environ.pop(_name, None)
Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True)
(Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
# A suite started in the background (`.ci/run &`, no job control) has SIGINT ignored in every process.
# Dagster's interrupt handling then sets SIGTERM to "SIGINT's handler" after any in-process run, that is
# to ignoring it, and every server a worker started afterwards ignored `terminate()` (seen in CI: model
# servers outlived their tests and the next ones timed out starting). Python's own SIGINT handler again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

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
    with fresh_pg_databases() as urls:
        yield urls


@pytest.fixture(scope="session")
def shared_stack(prepared_db, tmp_path_factory):
    """The session's live stack (tests/live.py): webserver + daemon over a PostgreSQL instance with the
    shipped local instance's rules (one run per script, run monitoring, run retries; three runs at
    once, monitoring polled every 2 s rather than 30 so a dead worker is found quickly) and a PostgreSQL
    scripts DB. The modules that use it share one worker (SHARED_WORKER below), which starts it once."""
    from live import live_stack

    from batchvideo_app.catalog import seed_reference_data
    from batchvideo_resources.db import session_scope, upgrade

    local = (settings.PROJECT_ROOT / "dagster_home" / "dagster.yaml").read_text()
    for shipped, here in (("telemetry:\n  enabled: false\n", ""), ("max_concurrent_runs: 2", "max_concurrent_runs: 3"),
                          ("poll_interval_seconds: 30", "poll_interval_seconds: 2")):
        assert shipped in local, shipped
        local = local.replace(shipped, here)
    dagster_url, scripts_url = _LIVE.enter_context(fresh_pg_databases())
    upgrade(scripts_url)
    with session_scope(scripts_url) as session:
        seed_reference_data(session)
    # Nothing in the live tests checks the frame size: the stack renders at the small canvas.
    yield _LIVE.enter_context(live_stack(tmp_path_factory.mktemp("live"), dagster_url, scripts_url, local,
                                         {"BATCHVIDEO_CANVAS_SCALE": str(SMALL_CANVAS_SCALE)}))
    _LIVE.close()


# The shared stack is stopped as soon as its worker has run the last test of its group, rather than when
# the worker's session ends: an idle daemon would tick on beside the modules that follow.
_LIVE = contextlib.ExitStack()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    if _group(item.nodeid) == "live" and (nextitem is None or _group(nextitem.nodeid) != "live"):
        _LIVE.close()


@contextlib.contextmanager
def fresh_pg_databases(kinds=("dagster", "scripts")):
    import uuid

    from sqlalchemy import create_engine, text

    from batchvideo_resources.db import engine_for

    names = [f"bv_e2e_{kind}_{uuid.uuid4().hex[:6]}" for kind in kinds]
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


@pytest.fixture(scope="module", autouse=True)
def _canvas(request):
    """A module marked `small_canvas` renders at a quarter of 1360x768 (BATCHVIDEO_CANVAS_SCALE): about
    half the time of a full-size render. Modules whose tests check the frame size leave it unmarked."""
    if not request.node.get_closest_marker("small_canvas"):
        yield
        return
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BATCHVIDEO_CANVAS_SCALE", str(SMALL_CANVAS_SCALE))
        yield


SMALL_CANVAS_SCALE = 0.25


def frame(horizontal: bool = True) -> tuple[int, int]:
    """The frame size a render in this test gets (small in `small_canvas` modules)."""
    from batchvideo_resources.script_spec import frame_size

    return frame_size(horizontal)


GOLDEN_ZH = ("人工智能正在改变我们的生活。早上醒来，智能音箱为你播报天气；出门上班，导航软件帮你避开拥堵！"
             "在医院里，医生借助算法更早地发现疾病。你觉得未来会更美好吗？")


@pytest.fixture(scope="session")
def golden(prepared_db, instance):
    """One full-size Chinese render on the embedded defaults (demo account: logo, music, transitions;
    half the shots b-roll), through the instance as `batchvideo render` submits it, in-process steps.
    Shared by test_render and test_checks, which run on one worker (SHARED_WORKER below), so it is made
    once per `make test`."""
    from batchvideo_app.render import render_scripts

    sid = add(prepared_db, title="人工智能与生活", content=GOLDEN_ZH, language="zh-CN", topic="science",
              account="demo", extra={"broll_ratio": 0.5})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BATCHVIDEO_EXECUTOR", "in_process")
        (result,) = render_scripts([str(sid)], instance=instance)
    assert result["status"] == "SUCCESS", result["error"]
    return result


# Test layers, so `make test-fast` can run the pure logic and definitions alone (`-m unit`):
# unit = no database, no Dagster instance, no real media work, no server or subprocess; media = real
# ffmpeg/espeak-ng/torch work, servers and subprocesses (seconds per test); db = a scripts database
# (SQLite/PostgreSQL); e2e = runs through a Dagster instance (materializations, renders); ui = a live
# webserver/daemon. A module or test marks itself `media`; the database and instance layers follow from
# the fixtures a test uses, and so does `media` for the servers below.
LAYER_FIXTURES = (("e2e", {"instance"}), ("db", {"prepared_db", "db_url", "pg_url"}),
                  ("media", {"s3_server", "moto_s3", "server"}))

# Soak-sized cases (`make test-soak`, run by CI after `make test`), listed here for modules whose
# owners mark them later; others carry `@pytest.mark.soak` themselves.
SOAK = ("tests/test_faults.py::test_thousand_rows_at_once",)

# xdist (`make test`: --dist loadfile --no-loadscope-reorder) hands a worker one group at a time: a
# module, or the modules below, which share a session fixture and so one worker (xdist's own
# `loadgroup` cannot: with pytest 9 it no longer renames the node ids it groups by). Groups start
# longest first, so no long one starts last; the rest keep collection order.
SHARED_WORKER = {"tests/test_render.py": "golden", "tests/test_checks.py": "golden",  # conftest.golden
                 "tests/test_ui_e2e.py": "live", "tests/test_live_stack.py": "live",  # conftest.shared_stack
                 "tests/test_crash_recovery.py": "live"}
LONG_FIRST = ("golden", "tests/test_reliability.py", "tests/test_flux_server.py", "tests/test_production.py",
              "live", "tests/test_bad_input.py", "tests/test_sensor.py", "tests/test_cli.py",
              "tests/test_flux.py", "tests/test_stock.py", "tests/test_operations.py", "tests/test_faults.py")


def _group(nodeid: str) -> str:
    module = nodeid.split("::")[0]
    return SHARED_WORKER.get(module, module)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedWorkerScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid)

    return SharedWorkerScheduling(config, log)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.nodeid.startswith(SOAK):
            item.add_marker(pytest.mark.soak)
        if any(item.get_closest_marker(layer) for layer in ("ui", "e2e", "db", "media")):  # marked by itself
            continue
        fixtures = set(item.fixturenames)
        layer = next((name for name, needs in LAYER_FIXTURES if fixtures & needs), None)
        if layer is None and not item.get_closest_marker("media"):
            layer = "unit"
        if layer:
            item.add_marker(getattr(pytest.mark, layer))
    rank = {group: i for i, group in enumerate(LONG_FIRST)}
    # The crash test kills and restarts the shared stack's daemon: last in its group.
    items.sort(key=lambda item: (rank.get(_group(item.nodeid), len(rank)),
                                 item.nodeid.startswith("tests/test_crash_recovery.py")))
