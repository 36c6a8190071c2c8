"""`batchvideo` command line: database, scripts, rendering and the demo."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from batchvideo_resources import settings
from batchvideo_resources.redaction import redact


def _bootstrap_env() -> None:
    import warnings

    warnings.filterwarnings("ignore", module="dagster")
    warnings.filterwarnings("ignore", category=UserWarning, message=".*upstream_output.*")
    try:
        from dagster import BetaWarning, PreviewWarning

        warnings.filterwarnings("ignore", category=BetaWarning)
        warnings.filterwarnings("ignore", category=PreviewWarning)
    except ImportError:  # pragma: no cover
        pass
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home()))  # Dagster reads it from the environment
    settings.dagster_home().mkdir(parents=True, exist_ok=True)


class OneLineErrors(click.Group):
    """No traceback reaches the user from any command: an unexpected error (the database down, a
    disk full) ends the command with one line naming it, secrets redacted, and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place every command's errors end up
            raise click.ClickException(one_line(exc)) from None


def one_line(exc: BaseException) -> str:
    """`Type: first line of the message`, redacted; SQLAlchemy's wrapped driver errors unwrapped."""
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0][:300]
    return redact(f"{type(cause).__name__}: {first}" if first else type(cause).__name__)


@click.group(cls=OneLineErrors)
def main() -> None:
    """BatchVideo: scripts in, narrated videos out."""
    _bootstrap_env()


@main.group()
def db() -> None:
    """The scripts database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations (creates the database if needed)."""
    from batchvideo_resources.db import upgrade

    upgrade(settings.db_url())
    click.echo(f"database at head: {redact(settings.db_url())}")


@main.command()
def init() -> None:
    """Migrate the database, seed reference data, create the sample stock library and assets."""
    from batchvideo_app.catalog import (
        default_asset_root,
        ensure_sample_assets,
        seed_reference_data,
    )
    from batchvideo_resources.db import session_scope, upgrade
    from batchvideo_resources.stock import create_sample_library

    upgrade(settings.db_url())
    with session_scope(settings.db_url()) as session:
        seed_reference_data(session)
    ensure_sample_assets(default_asset_root())
    create_sample_library(settings.stock_dir())
    click.echo(f"ready: db {redact(settings.db_url())}, stock {settings.stock_dir()}, assets {default_asset_root()}")


@main.group()
def scripts() -> None:
    """Add, import, list and delete scripts."""


@scripts.command("add")
@click.option("--title", required=True)
@click.option("--content-file", type=click.File("r", encoding="utf-8"), required=True, help="narration text ('-' = stdin)")
@click.option("--language", default=None, help="language code, e.g. zh-CN (default: detected)")
@click.option("--voice", default=None)
@click.option("--vertical", is_flag=True, help="9:16 video (768×1360)")
@click.option("--speed", type=float, default=1.0, show_default=True)
@click.option("--topic", default=None)
@click.option("--account", default=None)
@click.option("--priority", type=int, default=0)
@click.option("--extra", default=None, help="JSON object of script extras (h2v, bgm, broll_ratio, …)")
def scripts_add(title, content_file, language, voice, vertical, speed, topic, account, priority, extra) -> None:
    """Insert one script; prints its ID."""
    from batchvideo_app.catalog import add_script
    from batchvideo_resources.db import session_scope
    from batchvideo_resources.script_spec import BadScriptError

    try:
        with session_scope(settings.db_url()) as session:
            row = add_script(session, {"title": title, "content": content_file.read(), "language": language,
                                       "voice": voice, "is_horizontal": not vertical, "speech_speed": speed,
                                       "topic": topic, "account": account, "priority": priority,
                                       "extra": extra or {}})
            click.echo(row.id)
    except BadScriptError as exc:
        raise click.ClickException(str(exc)) from None


@scripts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def scripts_import(file: Path) -> None:
    """Insert scripts from a .jsonl or .csv file (UTF-8, with or without BOM; a CSV needs a header row
    of field names); prints new IDs; each bad line is reported and skipped, the rest still imported."""
    from batchvideo_app.catalog import add_script
    from batchvideo_resources.db import session_scope
    from batchvideo_resources.script_spec import BadScriptError

    bad = 0
    for line_no, record in _records(file):
        try:
            if isinstance(record, Exception):
                raise record
            with session_scope(settings.db_url()) as session:
                row = add_script(session, record)
                click.echo(row.id)
        except (BadScriptError, ValueError) as exc:
            bad += 1
            click.echo(f"{file.name}:{line_no}: {redact(str(exc))}", err=True)
        except SQLAlchemyError as exc:  # e.g. a number the database's column cannot hold
            bad += 1
            click.echo(f"{file.name}:{line_no}: row: the database refused it ({one_line(exc)})", err=True)
    if bad:
        raise SystemExit(1)


def _text_of(file: Path) -> str:
    """The file as text: UTF-8, a leading BOM (Excel's "CSV UTF-8") dropped; anything else refused."""
    data = file.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise click.ClickException(f"{file}: is UTF-16; save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file}: is not UTF-8 (byte {exc.start} is {data[exc.start]:#04x}); "
                                   "save it as UTF-8") from None


def _records(file: Path):
    from batchvideo_app.catalog import SCRIPT_FIELDS

    suffix = file.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise click.ClickException(f"{file}: expected a .jsonl or .csv file")
    text = _text_of(file)
    if suffix == ".jsonl":
        for line_no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("row: a line must be a JSON object")
                yield line_no, record
            except json.JSONDecodeError as exc:
                yield line_no, ValueError(f"row: invalid JSON ({exc.msg})")
            except RecursionError:
                yield line_no, ValueError("row: JSON nested too deeply")
            except ValueError as exc:
                yield line_no, exc
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    unknown = [name for name in header if name not in SCRIPT_FIELDS]
    if not header or unknown or not {"title", "content"} <= set(header):
        shown = f"unknown column(s) {', '.join(map(repr, unknown))}" if unknown else "no title/content columns"
        raise click.ClickException(f"{file}: the first row must be a header of field names ({shown}); "
                                   f"fields: {', '.join(sorted(SCRIPT_FIELDS))}")
    reader.fieldnames = header
    for record in reader:
        if None in record:
            yield reader.line_num, ValueError(f"row: {len(header) + len(record[None])} values for "
                                              f"{len(header)} columns")
            continue
        yield reader.line_num, {k: v for k, v in record.items() if v not in (None, "")}


@scripts.command("list")
@click.option("--limit", type=int, default=50)
def scripts_list(limit: int) -> None:
    """Recent scripts with their latest run status (a row whose stored values cannot be read is listed
    as such, never stops the listing)."""
    from sqlalchemy import select

    from batchvideo_resources.db import Script, ScriptRun, session_scope

    with session_scope(settings.db_url()) as session:
        # Narrow columns only: raw SQL may have left a value in another column that cannot be read.
        rows = session.execute(select(Script.id, Script.title, Script.deleted_at)
                               .order_by(Script.id.desc()).limit(limit)).all()
        try:  # one query when every row reads; column by column only when one does not
            session.execute(select(Script).where(Script.id.in_([r.id for r in rows]))).all()
            readable = True
        except (ValueError, TypeError, RecursionError):
            session.rollback()
            readable = False
        for row in rows:
            run = session.execute(select(ScriptRun.status).where(ScriptRun.script_id == row.id)
                                  .order_by(ScriptRun.id.desc()).limit(1)).scalar()
            state = "deleted" if row.deleted_at else (run or "-")
            problem = None if readable else _unreadable_column(session, row.id)
            click.echo(f"{row.id}\t{state}\t{row.title}" + (f"\t(unreadable: {problem})" if problem else ""))


def _unreadable_column(session, script_id: int) -> str | None:
    """The first column of the row whose stored value cannot be read, else None."""
    from sqlalchemy import select

    from batchvideo_resources.db import Script

    for column in Script.__table__.columns:
        try:
            session.execute(select(column).where(Script.id == script_id)).all()
        except (ValueError, TypeError, RecursionError):
            session.rollback()
            return column.name
    return None


@scripts.command("delete")
@click.argument("ids", nargs=-1, type=int, required=True)
def scripts_delete(ids: tuple[int, ...]) -> None:
    """Soft-delete scripts (no new runs are requested for them)."""
    from batchvideo_resources.db import Script, session_scope
    from batchvideo_resources.db.models import utcnow

    with session_scope(settings.db_url()) as session:
        for script_id in ids:
            row = session.get(Script, script_id)
            if row is None:
                raise click.ClickException(f"no script {script_id}")
            row.deleted_at = utcnow()


@main.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--in-process", is_flag=True,
              help="execute in this process instead of submitting runs to the instance (debugging)")
def render(ids: tuple[str, ...], in_process: bool) -> None:
    """Render these scripts through the Dagster instance (its queue, executor and pools) and wait;
    one JSON line per ID. Without a running daemon, this command launches its own queued runs."""
    from batchvideo_app.render import render_scripts

    failed = False
    for result in render_scripts(list(ids), in_process=in_process):
        failed |= result["status"] != "SUCCESS"
        result.pop("run_id", None)
        result["error"] = redact(result["error"])
        click.echo(json.dumps(result, ensure_ascii=False))
    if failed:
        raise SystemExit(1)


@main.command()
def demo() -> None:
    """Seed sample data and render one Chinese and one English video."""
    from batchvideo_app.demo import run_demo

    ok = run_demo(click.echo)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    sys.exit(main())
