"""`batchvideo` command line: database, scripts, rendering and the demo."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from batchvideo_resources import settings
from batchvideo_resources.redaction import redact


def _dagster_env() -> None:
    """Before a command that opens the Dagster instance or loads the code location (only those import
    Dagster: the database-only commands start in a fraction of a second without it)."""
    import warnings

    warnings.filterwarnings("ignore", module="dagster")
    warnings.filterwarnings("ignore", category=UserWarning, message=".*upstream_output.*")
    try:
        from dagster import BetaWarning, PreviewWarning

        warnings.filterwarnings("ignore", category=BetaWarning)
        warnings.filterwarnings("ignore", category=PreviewWarning)
    except ImportError:  # pragma: no cover
        pass
    settings.export_dagster_home()


# Terminal control sequences (CSI, OSC up to BEL/ST, DCS/SOS/PM/APC strings, two-byte escapes, their
# 8-bit C1 forms) and every other C0/C1 control character but newline and tab: a stored title must not
# retitle, recolour or rewrite the operator's terminal.
_CONTROL = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
                      r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
                      r"|\x1b[ -/]*[0-~]?"
                      r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """`text` with terminal control sequences and control characters removed (newlines and tabs kept)."""
    return _CONTROL.sub("", text)


def echo(message="", err: bool = False, nl: bool = True, data: bool = False) -> None:
    """click.echo for everything the CLI prints: messages and listings always without control
    sequences; data meant for a file or pipe (`export`, `--json`) only cleaned on a terminal."""
    text = "" if message is None else str(message)
    if not data or (sys.stderr if err else sys.stdout).isatty():
        text = shown(text)
    click.echo(text, err=err, nl=nl)


class OneLineErrors(click.Group):
    """No traceback reaches the user from any command: a database that is down, unreachable or not
    migrated, or any other unexpected error (a disk full), ends the command with one line naming it,
    secrets redacted, and exit status 1."""

    def invoke(self, ctx: click.Context):
        from sqlalchemy.exc import DBAPIError

        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            exc.message = shown(exc.message)
            raise
        except (click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise click.ClickException(shown(redact(f"database {settings.db_url()}: {reason}"
                                              f"{_UPGRADE_HINT if _missing_schema(reason) else ''}"))) from None
        except Exception as exc:  # noqa: BLE001 - the one place every command's errors end up
            raise click.ClickException(shown(one_line(exc))) from None


_UPGRADE_HINT = " (run `batchvideo db upgrade`)"


def _missing_schema(reason: str) -> bool:
    return "no such table" in reason or "no such column" in reason or "does not exist" in reason


def one_line(exc: BaseException) -> str:
    """`Type: first line of the message`, redacted; SQLAlchemy's wrapped driver errors unwrapped."""
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0][:300]
    return redact(f"{type(cause).__name__}: {first}" if first else type(cause).__name__)


@click.group(cls=OneLineErrors)
def main() -> None:
    """BatchVideo: scripts in, narrated videos out."""


@main.command("media-root")
def media_root() -> None:
    """Print the local media folder (what `make dev` serves over http for previews)."""
    from urllib.parse import urlparse

    url = settings.media_url().rstrip("/")  # read as MediaStore reads it, without loading Dagster
    if url.startswith("s3://"):
        raise click.ClickException("the media store is S3: previews use presigned URLs, nothing to serve")
    parsed = urlparse(url)
    if parsed.scheme not in ("file", ""):
        raise click.ClickException(f"not a local media root: {redact(url)}")
    root = Path(parsed.path if parsed.scheme == "file" else url)
    root.mkdir(parents=True, exist_ok=True)
    echo(str(root))


@main.group()
def db() -> None:
    """The scripts database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations (creates the database if needed)."""
    from batchvideo_resources.db import upgrade

    upgrade(settings.db_url())
    echo(f"database at head: {redact(settings.db_url())}")


@main.command()
@click.option("--business-role", metavar="ROLE",
              help="PostgreSQL: give this existing role the business side's rights and no others "
                   "(insert/update/select on scripts, select on script_runs)")
def init(business_role: str | None) -> None:
    """Migrate the database, seed reference data, create the sample stock library and assets."""
    from batchvideo_app.catalog import (
        default_asset_root,
        ensure_sample_assets,
        seed_reference_data,
    )
    from batchvideo_media.stock_samples import create_sample_library
    from batchvideo_resources.db import session_scope, upgrade

    upgrade(settings.db_url())
    with session_scope(settings.db_url()) as session:
        seed_reference_data(session)
    ensure_sample_assets(default_asset_root())
    create_sample_library(settings.stock_dir())
    if business_role:
        from batchvideo_resources.db.roles import MissingRoleError, grant_business_role

        try:
            grant_business_role(settings.db_url(), business_role)
            echo(f"role {business_role}: insert/update/select on scripts, select on script_runs, nothing else")
        except MissingRoleError as exc:  # an older volume: the stack still starts, and says what to do
            echo(f"warning: {exc}", err=True)
    echo(f"ready: db {redact(settings.db_url())}, stock {settings.stock_dir()}, assets {default_asset_root()}")


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
            echo(row.id)
    except BadScriptError as exc:
        raise click.ClickException(str(exc)) from None


@scripts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--chunk", type=click.IntRange(1, 100_000), default=None, metavar="N",
              help="rows per transaction (default 500)")
def scripts_import(file: Path, chunk: int | None) -> None:
    """Insert scripts from a .jsonl or .csv file (UTF-8, with or without BOM; a CSV needs a header row
    of field names); prints new IDs; each bad line is reported and skipped, the rest still imported.
    Rows are validated and written N at a time, one transaction each; a progress bar shows on a
    terminal when the import takes more than a second."""
    from batchvideo_app.catalog import IMPORT_CHUNK, SCRIPT_FIELDS, import_scripts

    records = list(_records(file, ("title", "content"), known=set(SCRIPT_FIELDS)))
    with _progress(len(records), f"importing {file.name}") as bar:
        def added(_line_no: int, script_id: int) -> None:
            bar.echo(str(script_id))

        def refused(line_no: int, problem: str) -> None:
            bar.echo(f"{file.name}:{line_no}: {redact(problem)}", err=True)

        _, bad = import_scripts(settings.db_url(), records, added=added, refused=refused,
                                chunk=chunk or IMPORT_CHUNK, progress=bar.update)
    if bad:
        echo(f"{file.name}: {bad} line(s) skipped", err=True)
        raise SystemExit(1)


class _progress:
    """A progress bar on standard error when it is a terminal and the work lasts over a second; lines
    printed meanwhile (`echo`) go above the bar. Without a terminal it prints nothing extra."""

    def __init__(self, total: int, what: str):
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=shown(what), unit="row", file=sys.stderr, delay=1.0, leave=False)

    def __enter__(self) -> _progress:
        return self

    def __exit__(self, *_exc) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def echo(self, line: str, err: bool = False) -> None:
        if self.bar is None:
            echo(line, err=err)
        else:
            self.bar.write(shown(line), file=sys.stderr if err else sys.stdout)


def _import_lines(file: Path, required: tuple[str, ...], write: Callable[[dict], None],
                  known: set[str] | None = None) -> None:
    """`write` each record of a .jsonl/.csv file in its own transaction; a bad line is reported
    (file:line: field: problem) and skipped; exit status 1 when any line was bad."""
    from batchvideo_resources.script_spec import BadScriptError, files_checked_once

    bad = 0
    with settings.pinned(), files_checked_once():
        for line_no, record in _records(file, required, known):
            try:
                if isinstance(record, Exception):
                    raise record
                write(record)
            except (BadScriptError, ValueError) as exc:
                bad += 1
                echo(f"{file.name}:{line_no}: {redact(str(exc))}", err=True)
            except SQLAlchemyError as exc:  # e.g. a number the database's column cannot hold
                bad += 1
                echo(f"{file.name}:{line_no}: row: the database refused it ({one_line(exc)})", err=True)
    if bad:
        echo(f"{file.name}: {bad} line(s) skipped", err=True)
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


def _records(file: Path, required: tuple[str, ...], known: set[str] | None = None):
    """(line number, dict or ValueError) for each record. UTF-8 with or without a BOM; a CSV file
    needs a header line naming its columns (`required` among them, only `known` ones when given)."""
    suffix = file.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise click.ClickException(f"{file}: expected a .jsonl or .csv file")
    text = _text_of(file)
    if suffix == ".jsonl":
        from batchvideo_resources.catalog_spec import DuplicateKeyError, loads_json

        for line_no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = loads_json(line)
                if not isinstance(record, dict):
                    raise ValueError("row: a line must be a JSON object")
                yield line_no, record
            except DuplicateKeyError as exc:
                yield line_no, ValueError(f"{exc.key}: given twice on this line (each key once)")
            except json.JSONDecodeError as exc:
                yield line_no, ValueError(f"row: invalid JSON ({exc.msg})")
            except RecursionError:
                yield line_no, ValueError("row: JSON nested too deeply")
            except ValueError as exc:
                yield line_no, exc
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if known is not None and name not in known]
    twice = [name for name in header if header.count(name) > 1]
    if missing or unknown or twice:
        shown = (f"unknown column {unknown[0]!r}" if unknown else f"column {twice[0]!r} given twice" if twice
                 else f"no {missing[0]!r} column")
        raise click.ClickException(f"{file.name}:1: header: {shown} (the first line must name the columns)")
    line_no = reader.line_num
    for values in reader:
        first, line_no = line_no + 1, reader.line_num  # a quoted cell may span lines: the row's first
        if not values:
            continue  # a blank line
        if len(values) != len(header):  # a missing or extra comma would shift every later column
            yield first, ValueError(f"row: {len(values)} values for {len(header)} columns")
            continue
        yield first, {k: _from_cell(v) for k, v in zip(header, values, strict=True) if v != ""}


# OWASP CSV injection: a cell a spreadsheet would evaluate as a formula is written with a leading
# apostrophe (shown as text), and import removes it again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _to_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _from_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) else text


@scripts.command("list")
@click.option("--limit", type=int, default=50)
@click.option("--json", "as_json", is_flag=True, help="one JSON array, for scripts")
def scripts_list(limit: int, as_json: bool) -> None:
    """Recent scripts with their latest run status (a row whose stored values cannot be read is listed
    as such, never stops the listing)."""
    from sqlalchemy import select

    from batchvideo_resources.db import Script, ScriptRun, session_scope

    listed = []
    with session_scope(settings.db_url()) as session:
        # Narrow columns first: raw SQL may have left a value in another column that cannot be read.
        rows = session.execute(select(Script.id, Script.title, Script.deleted_at, Script.updated_at)
                               .order_by(Script.id.desc()).limit(limit)).all()
        try:  # one query when every row reads; column by column only when one does not
            full = {r.id: r for r in session.scalars(select(Script).where(Script.id.in_([r.id for r in rows])))}
        except (ValueError, TypeError, RecursionError):
            session.rollback()
            full = None
        for row in rows:
            run = session.execute(select(ScriptRun.status).where(ScriptRun.script_id == row.id)
                                  .order_by(ScriptRun.id.desc()).limit(1)).scalar()
            item = {"id": row.id, "title": row.title, "state": "deleted" if row.deleted_at else (run or "-"),
                    "updated_at": row.updated_at.isoformat() if row.updated_at else None}
            stored = full.get(row.id) if full is not None else None
            if stored is not None:
                item.update({"language": stored.language.code if stored.language else None,
                             "voice": stored.voice.name if stored.voice else None,
                             "topic": stored.topic.name if stored.topic else None,
                             "account": stored.account.username if stored.account else None})
            else:
                item["unreadable"] = _unreadable_column(session, row.id)
            listed.append(item)
    if as_json:
        echo(json.dumps(listed, ensure_ascii=False, indent=1), data=True)
    for item in [] if as_json else listed:
        problem = item.get("unreadable")
        echo(f"{item['id']}\t{item['state']}\t{item['title']}" + (f"\t(unreadable: {problem})" if problem else ""))


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
    """Soft-delete scripts (no new runs are requested for them). All or none."""
    from batchvideo_resources.db import Script, session_scope
    from batchvideo_resources.db.models import utcnow

    with session_scope(settings.db_url()) as session:
        for script_id in ids:
            row = session.get(Script, script_id)
            if row is None:
                raise click.ClickException(f"no script {script_id}; nothing deleted")
            row.deleted_at = utcnow()
    for script_id in ids:
        echo(f"deleted script {script_id}")


def _table_group(name: str) -> click.Group:
    """`batchvideo <name> add|update|list|show|delete|import|export` for one reference table. The
    `_add_*_commands` are the click wiring; each command's work is a `_table_*` function."""
    from batchvideo_app.catalog import TABLES

    table = TABLES[name]
    group = click.Group(name, help=f"Manage {name}: add, update, list, show, delete, import and export.")

    _add_writing_commands(group, table, name)
    _add_reading_commands(group, table, name)
    return group


def _add_writing_commands(group: click.Group, table, name: str) -> None:
    """add, update, delete, import."""

    def field_options(command):
        for field in reversed([f for f in table.fields if f != table.key]):
            command = click.option(f"--{field.replace('_', '-')}", field, default=None, metavar="VALUE",
                                   help=f"{name}.{field}" + (" (JSON)" if _is_json(table, field) else ""))(command)
        return command

    @group.command("add")
    @click.argument("key", metavar=table.key.upper())
    @field_options
    def add(key: str, **values) -> None:
        """Add one row; every value is checked first, nothing is written when one is bad."""
        row, action = _write(table, {table.key: key, **_given(values)}, create=True, replace=False)
        echo(f"{action} {table.describe(getattr(row, table.key))}")

    @group.command("update")
    @click.argument("key", metavar=table.key.upper())
    @field_options
    @click.option("--rerender", is_flag=True, help="also render again the scripts that use it")
    def update(key: str, rerender: bool, **values) -> None:
        """Change the given fields; prints the scripts that use the row (rendered again only with --rerender)."""
        _table_update(table, key, _given(values), rerender)

    @group.command("delete")
    @click.argument("key", metavar=table.key.upper())
    @click.option("--force", is_flag=True, help="delete even while scripts use it (their renders then fail)")
    def delete(key: str, force: bool) -> None:
        """Soft-delete: hidden from listings and new scripts; refused while scripts use it."""
        _table_delete(table, key, force)

    @group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_(file: Path) -> None:
        """Add or replace rows from a .jsonl or .csv file (the columns `export` writes); one transaction per
        line, bad lines reported and skipped."""
        def write(record: dict) -> None:
            row, action = _write(table, record, create=True, replace=True, quiet=True)
            echo(f"{action} {table.describe(getattr(row, table.key))}")

        _import_lines(file, (table.key,), write)


def _add_reading_commands(group: click.Group, table, name: str) -> None:
    """list, show, export."""

    @group.command("list")
    @click.option("--json", "as_json", is_flag=True, help="one JSON array, for scripts")
    @click.option("--deleted", is_flag=True, help="include soft-deleted rows")
    def list_(as_json: bool, deleted: bool) -> None:
        """Every row with the number of scripts using it."""
        _table_list(table, name, as_json, deleted)

    @group.command("show")
    @click.argument("key", metavar=table.key.upper())
    @click.option("--json", "as_json", is_flag=True, help="one JSON object, for scripts")
    def show(key: str, as_json: bool) -> None:
        """All fields of one row, and the scripts that use it."""
        _table_show(table, key, as_json)

    @group.command("export")
    @click.argument("keys", nargs=-1, metavar=f"[{table.key.upper()}]...")
    @click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default=None,
                  help="default: from the --output suffix, else jsonl")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="file to write (default: standard output)")
    def export(keys: tuple[str, ...], fmt: str | None, output: Path | None) -> None:
        """Every row (not deleted), or those named, in the form `import` reads back."""
        _table_export(table, name, keys, fmt, output)


def _table_update(table, key: str, changes: dict, rerender: bool) -> None:
    from batchvideo_app.catalog import find, scripts_using
    from batchvideo_resources.db import session_scope

    if not changes:
        raise click.UsageError("nothing to update: give at least one --FIELD VALUE")
    _write(table, {table.key: key, **changes}, create=False, replace=False)
    echo(f"updated {table.describe(key)}: {', '.join(changes)}")
    with session_scope(settings.db_url()) as session:
        users = scripts_using(session, table, find(session, table, key))
    if not users:
        echo("no scripts use it")
        return
    _report_stale(users, rerender)


def _report_stale(users: list[int], rerender: bool) -> None:
    """The stages of `users` an edit made stale (observed, so the UI shows them too); rendered again
    with `rerender`."""
    _dagster_env()
    from batchvideo_app.render import observe_edit, rerender_after_edit

    stages = observe_edit(users)  # the UI now shows the stages the edit made stale
    echo(f"scripts using it: {', '.join(map(str, users))}")
    for script_id, selection in stages.items():
        names = "every stage" if selection is None else ", ".join(k.to_user_string() for k in selection)
        echo(f"  script {script_id}: stale: {names}")
    if not stages:
        echo("no stage of theirs depends on the changed fields")
    elif not rerender:
        echo("nothing rendered; --rerender renders the stale stages now")
    else:
        echo(f"rendering the stale stages of {len(stages)} script(s)…")
        if not _echo_results(rerender_after_edit(stages)):
            raise SystemExit(1)


def _table_list(table, name: str, as_json: bool, deleted: bool) -> None:
    rows = _listing(table, deleted=deleted)
    if as_json:
        echo(json.dumps(rows, ensure_ascii=False, indent=1, default=str), data=True)
        return
    for item in rows:
        details = [f"{k}={_cell(v)}" for k, v in item.items()
                   if k not in (table.key, "scripts", "deleted_at") and v not in (None, "", [], {})]
        state = f"deleted {item['deleted_at']}\t" if item.get("deleted_at") else ""
        echo(f"{item[table.key]}\t{state}scripts={item['scripts']}\t" + "  ".join(details))
    if not rows:
        echo(f"no {name}", err=True)


def _table_show(table, key: str, as_json: bool) -> None:
    item = next((i for i in _listing(table, deleted=True, ids=True) if i[table.key] == key), None)
    if item is None:
        raise click.ClickException(f"no {table.describe(key)}")
    if as_json:
        echo(json.dumps(item, ensure_ascii=False, indent=1, default=str), data=True)
        return
    for field, value in item.items():
        echo(f"{field}: {_cell(value) if value not in (None, '') else '-'}")


def _table_delete(table, key: str, force: bool) -> None:
    from batchvideo_app.catalog import soft_delete
    from batchvideo_resources.db import session_scope
    from batchvideo_resources.script_spec import BadScriptError

    try:
        with session_scope(settings.db_url()) as session:
            _, users = soft_delete(session, table, key, force=force)
    except BadScriptError as exc:
        raise click.ClickException(exc.problem) from None
    echo(f"deleted {table.describe(key)}" +
               (f"; scripts {', '.join(map(str, users))} still refer to it" if users else ""))


def _table_export(table, name: str, keys: tuple[str, ...], fmt: str | None, output: Path | None) -> None:
    fmt = fmt or (output.suffix.lstrip(".").lower() if output and output.suffix.lower() in (".csv", ".jsonl")
                  else "jsonl")
    rows = [{k: v for k, v in item.items() if k in table.fields} for item in _listing(table, deleted=False)
            if not keys or item[table.key] in keys]
    missing = set(keys) - {row[table.key] for row in rows}
    if missing:
        raise click.ClickException(f"no {table.describe(sorted(missing)[0])}")
    text = _to_csv(table.fields, rows) if fmt == "csv" else "".join(
        json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if output is None:
        echo(text, nl=False, data=True)
    else:
        output.write_text(text, encoding="utf-8")
        echo(f"exported {len(rows)} {name} to {output}", err=True)


def _given(values: dict) -> dict:
    return {field: value for field, value in values.items() if value is not None}


def _is_json(table, field: str) -> bool:
    from sqlalchemy import JSON

    return isinstance(table.model.__table__.columns[field].type, JSON)


def _write(table, data: dict, *, create: bool, replace: bool, quiet: bool = False):
    """Validate and write one row in its own transaction; a bad value is one line naming the field."""
    from batchvideo_app.catalog import save
    from batchvideo_resources.db import session_scope
    from batchvideo_resources.script_spec import BadScriptError

    try:
        with session_scope(settings.db_url()) as session:
            return save(session, table, data, create=create, replace=replace)
    except BadScriptError as exc:
        if quiet:
            raise
        raise click.ClickException(f"{table.noun} not saved: {exc}") from None


def _listing(table, *, deleted: bool, ids: bool = False) -> list[dict]:
    from sqlalchemy import select

    from batchvideo_app.catalog import record, scripts_using
    from batchvideo_resources.db import session_scope

    with session_scope(settings.db_url()) as session:
        query = select(table.model).order_by(getattr(table.model, table.key))
        if not deleted:
            query = query.where(table.model.deleted_at.is_(None))
        items = []
        for row in session.scalars(query):
            users = scripts_using(session, table, row)
            items.append({**record(table, row), "scripts": users if ids else len(users),
                          **({"deleted_at": row.deleted_at.isoformat()} if row.deleted_at else {})})
        return items


def _cell(value) -> str:
    """A value as one CSV cell / listing word: JSON for lists and objects, true/false for booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _to_csv(fields: list[str], rows: list[dict]) -> str:
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _to_cell(_cell(v)) for k, v in row.items()})
    return out.getvalue()


for _name in ("accounts", "topics", "voices", "languages"):
    main.add_command(_table_group(_name))


@main.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--in-process", is_flag=True,
              help="execute in this process instead of submitting runs to the instance (debugging)")
def render(ids: tuple[str, ...], in_process: bool) -> None:
    """Render these scripts through the Dagster instance (its queue, executor and pools) and wait;
    one JSON line per ID. Without a running daemon, this command launches its own queued runs."""
    _dagster_env()
    from batchvideo_app.render import render_scripts

    def progress(line: str) -> None:  # which run each script waits for, on stderr
        click.echo(line, err=True)

    if not _echo_results(render_scripts(list(ids), in_process=in_process, notify=progress)):
        raise SystemExit(1)


def _echo_results(results: list[dict]) -> bool:
    """One JSON line per rendered script; True when all succeeded."""
    for result in results:
        shown = {k: v for k, v in result.items() if k != "run_id"}
        shown["error"] = redact(shown.get("error"))
        echo(json.dumps(shown, ensure_ascii=False), data=True)
    return all(result["status"] == "SUCCESS" for result in results)


@main.command()
def demo() -> None:
    """Seed sample data and render one Chinese and one English video."""
    _dagster_env()
    from batchvideo_app.demo import run_demo

    ok = run_demo(echo)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    sys.exit(main())
