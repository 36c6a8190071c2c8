"""Reference data (languages, voices, topics, accounts) and scripts: seeding, and the writes the CLI and demo make."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from batchvideo_media.espeak import espeak_missing_voice
from batchvideo_resources import settings
from batchvideo_resources.catalog_spec import (
    AccountRow,
    LanguageRow,
    ScriptRow,
    TableRow,
    TopicRow,
    VoiceRow,
    normalised,
    validate,
)
from batchvideo_resources.db import Account, Language, Script, Topic, Voice
from batchvideo_resources.db.models import utcnow
from batchvideo_resources.script_spec import BadScriptError, check_language_writing

LANGUAGES = [
    # code, name, espeak voice, square (CJK-style line breaking)
    ("zh-CN", "Chinese (Mandarin)", "cmn", True),
    ("en-US", "English (US)", "en-us", False),
    ("en-GB", "English (UK)", "en-gb", False),
    ("ja-JP", "Japanese", "ja", True),
    ("ko-KR", "Korean", "ko", True),
    ("de-DE", "German", "de", False),
    ("fr-FR", "French", "fr", False),
    ("es-ES", "Spanish", "es", False),
    ("yue-HK", "Cantonese", "yue", True),
]
TOPICS = [
    dict(name="science", image_prompt="clean scientific illustration, soft light",
         image_prompt_prefix="high quality, detailed", cover_prompt="", broll_ratio=0.3),
    dict(name="history", image_prompt="oil painting, warm tones", image_prompt_prefix="masterpiece",
         cover_prompt="", broll_ratio=0.0),
    dict(name="default", image_prompt="", image_prompt_prefix="", cover_prompt="", broll_ratio=0.0),
]


def ensure_sample_assets(root: Path) -> dict[str, str]:
    """A sample logo and background music under the first asset root (idempotent)."""
    from batchvideo_media.files import atomic_write
    from batchvideo_media.images import render_sample_logo
    from batchvideo_media.probe import run_ffmpeg

    root.mkdir(parents=True, exist_ok=True)
    logo, bgm = root / "logo.png", root / "bgm.wav"
    if not logo.exists():
        render_sample_logo(logo)
    if not bgm.exists():
        with atomic_write(bgm) as tmp:
            run_ffmpeg(["-f", "lavfi", "-i", "sine=f=220:d=20", "-f", "lavfi", "-i", "sine=f=277.2:d=20",
                        "-f", "lavfi", "-i", "sine=f=329.6:d=20", "-filter_complex",
                        "amix=inputs=3,tremolo=f=0.5:d=0.6,afade=t=in:d=1,afade=t=out:st=19:d=1,volume=0.5",
                        "-ar", "44100", str(tmp)])
    return {"logo": logo.name, "bgm": bgm.name}


def seed_reference_data(session: Session) -> None:
    for code, name, voice, square in LANGUAGES:
        if not session.scalar(select(Language).where(Language.code == code)):
            session.add(Language(code=code, name=name, tts_voice=voice, square=square))
    if not session.scalar(select(Voice).where(Voice.name == "default")):
        session.add(Voice(name="default", backend="espeak"))
    for topic in TOPICS:
        if not session.scalar(select(Topic).where(Topic.name == topic["name"])):
            session.add(Topic(extra={}, **topic))
    if not session.scalar(select(Account).where(Account.username == "demo")):
        session.add(Account(username="demo", logo="logo.png", platform="youtube", subtitle_background="#578B2E",
                            enable_transition=True, transition_types=["fade", "slideleft"],
                            extra={"bgm": "bgm.wav", "watermark": "BatchVideo demo"}))
    if not session.scalar(select(Account).where(Account.username == "plain")):
        session.add(Account(username="plain", logo=None, subtitle_background="#1F3A93", transition_types=[],
                            extra={}))
    session.flush()


@dataclass(frozen=True)
class Table:
    """A reference table managed from the CLI: its ORM model and its validation model."""

    noun: str  # how a script refers to it (`scripts.<noun>_id`), and the CLI's singular
    model: type
    row: type[TableRow]

    @property
    def key(self) -> str:
        return self.row.key

    @property
    def fields(self) -> list[str]:
        """Column names as exported and imported, key first."""
        return list(self.row.model_fields)

    def describe(self, key: str) -> str:
        return f"{self.noun} {key!r}"


TABLES = {f"{t.noun}s": t for t in (Table("language", Language, LanguageRow), Table("voice", Voice, VoiceRow),
                                    Table("topic", Topic, TopicRow), Table("account", Account, AccountRow))}
SCRIPT_REFERENCES = {table.noun: table for table in TABLES.values()}
# What `scripts add`/`scripts import` take: the row's own columns and its references by name.
SCRIPT_FIELDS = frozenset(ScriptRow.model_fields) | frozenset(SCRIPT_REFERENCES)


def find(session: Session, table: Table, key: str, *, deleted: bool = False):
    """The row with this key; soft-deleted rows only when `deleted`."""
    query = select(table.model).where(getattr(table.model, table.key) == key)
    if not deleted:
        query = query.where(table.model.deleted_at.is_(None))
    return session.scalar(query)


def record(table: Table, row) -> dict[str, Any]:
    """A row as the user sees, exports and imports it: the table's columns, by name."""
    return {name: getattr(row, name) for name in table.fields}


def scripts_using(session: Session, table: Table, row) -> list[int]:
    """Scripts (not deleted) that refer to `row`."""
    fk = getattr(Script, f"{table.noun}_id")
    return list(session.scalars(select(Script.id).where(fk == row.id, Script.deleted_at.is_(None))
                                .order_by(Script.id)))


def save(session: Session, table: Table, data: dict[str, Any], *, create: bool, replace: bool) -> tuple[Any, str]:
    """Validate and write one row; returns the row and what was done (added/restored/updated).

    `create`: a new key is added (a soft-deleted one is restored); else the key must exist.
    `replace`: `data` is the whole row (import); else it changes only the fields it names (update)."""
    key = str(data.get(table.key) or "").strip()
    if not key:
        raise BadScriptError(table.key, "is empty")
    existing = find(session, table, key, deleted=True)
    if existing is None and not create:
        raise BadScriptError(table.key, f"no {table.describe(key)}")
    if existing is not None and existing.deleted_at is None and create and not replace:
        raise BadScriptError(table.key, f"{table.describe(key)} already exists; use update to change it")
    merged = data if replace or existing is None or existing.deleted_at is not None else \
        {**record(table, existing), **data}
    values = _column_values(validate(table.row, merged))
    if existing is None:
        row, action = table.model(**values), "added"
        session.add(row)
    else:
        action = "restored" if existing.deleted_at is not None else "updated"
        row = existing
        for name, value in values.items():
            setattr(row, name, value)
        row.deleted_at = None
    session.flush()
    return row, action


def _column_values(validated) -> dict[str, Any]:
    # JSON columns keep only the keys that are set, as a person would write them.
    return {name: {k: v for k, v in value.items() if v is not None} if isinstance(value, dict) else value
            for name, value in validated.model_dump().items()}


def soft_delete(session: Session, table: Table, key: str, *, force: bool) -> tuple[Any, list[int]]:
    """Mark the row deleted; refused while scripts use it unless `force`. Returns the row and its users."""
    row = find(session, table, key)
    if row is None:
        raise BadScriptError(table.key, f"no {table.describe(key)}")
    users = scripts_using(session, table, row)
    if users and not force:
        raise BadScriptError(table.key, f"{table.describe(key)} is used by {len(users)} script(s) "
                                        f"({_id_list(users)}); --force deletes it anyway")
    row.deleted_at = utcnow()
    return row, users


def _id_list(ids: list[int], shown: int = 10) -> str:
    text = ", ".join(map(str, ids[:shown]))
    return text + (f", … {len(ids) - shown} more" if len(ids) > shown else "")


def _reference(session: Session, noun: str, key: Any):
    if key in (None, ""):
        return None
    row = find(session, SCRIPT_REFERENCES[noun], str(key))
    if row is None:
        raise BadScriptError(noun, f"unknown {noun} {key!r}")
    return row


def add_script(session: Session, data: dict[str, Any]) -> Script:
    """Create a scripts row from user fields (language/voice/topic/account by name), validated by the
    same model the render applies."""
    data = dict(data)
    references = {noun: data.pop(noun, None) for noun in SCRIPT_REFERENCES}
    script = validate(ScriptRow, data)
    row = Script(**script.model_dump(exclude={"extra"}), extra=script.extra.model_dump(exclude_unset=True),
                 **{noun: _reference(session, noun, key) for noun, key in references.items()})
    _check_spoken(row.language, script)
    session.add(row)
    session.flush()
    return row


def _check_spoken(language, script) -> None:
    """What the render would refuse about the language: text in a writing system the language is not
    written in, or a language the TTS cannot speak."""
    if language is not None:
        check_language_writing(normalised(script.content), language.code)
    if language is not None and settings.load_settings().tts.backend != "http" and not script.extra.audio:
        problem = espeak_missing_voice(language.tts_voice)  # cached: one espeak-ng run per voice
        if problem:  # refused at import rather than read as letter names at render
            raise BadScriptError("language", f"{language.code} cannot be spoken: {problem}")


IMPORT_CHUNK = 500  # rows per transaction of `import_scripts`


def import_scripts(url: str, records: Iterable[tuple[int, dict | Exception]], *,
                   added: Callable[[int, int], None], refused: Callable[[int, str], None],
                   chunk: int = IMPORT_CHUNK, progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Validate and insert scripts a chunk at a time; returns (rows added, lines refused).

    `records` are (line number, user fields or the reason the line could not be read). Each chunk is
    validated first (each distinct referenced file located and decoded once for the whole import, the
    language/voice/topic/account rows it names looked up with one query per table), then its good rows
    are inserted in one transaction. A bad line is reported by itself through `refused(line, "field:
    problem")` and the others are still written; `added(line, id)` is called for each written row, in
    file order, once its transaction has committed; `progress(n)` after each chunk of n lines."""
    from batchvideo_resources.db import session_scope
    from batchvideo_resources.script_spec import files_checked_once

    counts = [0, 0]

    def refuse(line_no: int, problem: str) -> None:
        counts[1] += 1
        refused(line_no, problem)

    def import_chunk(batch: list[tuple[int, dict | Exception]]) -> int:
        # Unreadable lines are found before validation: each chunk's refusals are reported in line order.
        held: list[tuple[int, str]] = []
        written = _import_chunk(session_scope, url, batch, added, lambda n, problem: held.append((n, problem)))
        for line_no, problem in sorted(held, key=lambda item: item[0]):
            refuse(line_no, problem)
        return written

    with settings.pinned(), files_checked_once():
        batch: list[tuple[int, dict | Exception]] = []
        for item in records:
            batch.append(item)
            if len(batch) >= chunk:
                counts[0] += import_chunk(batch)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            counts[0] += import_chunk(batch)
            if progress:
                progress(len(batch))
    return counts[0], counts[1]


def _import_chunk(session_scope, url: str, batch: list[tuple[int, dict | Exception]],
                  added: Callable[[int, int], None], refuse: Callable[[int, str], None]) -> int:
    """One chunk: look up the rows its lines refer to (one query per table), validate each line, insert
    the good rows at once."""
    lines = []
    for line_no, data in batch:
        if isinstance(data, Exception):  # the line could not be read
            refuse(line_no, str(data))
        else:
            lines.append((line_no, data))
    if not lines:
        return 0
    with session_scope(url) as session:
        found = {noun: _rows_by_key(session, table, {str(data[noun]) for _, data in lines
                                                     if isinstance(data.get(noun), str | int) and data[noun] != ""})
                 for noun, table in SCRIPT_REFERENCES.items()}
        good: list[tuple[int, dict[str, Any]]] = []
        for line_no, data in lines:
            try:
                good.append((line_no, _script_values(data, found)))
            except BadScriptError as exc:
                refuse(line_no, str(exc))
        if not good:
            return 0
        try:  # the whole chunk in one statement and one transaction
            ids = _insert_scripts(session, [values for _, values in good])
            session.commit()
            written = list(zip([line_no for line_no, _ in good], ids, strict=True))
        except (SQLAlchemyError, ValueError) as exc:
            if not _refused_value(exc):
                raise
            session.rollback()
            written = None
    if written is None:  # the database refused a value: find which line, one row per transaction
        written = _insert_one_by_one(session_scope, url, good, refuse)
    for line_no, script_id in written:  # committed: now they exist
        added(line_no, script_id)
    return len(written)


def _script_values(data: dict, found: dict[str, dict]) -> dict[str, Any]:
    """The scripts row of one valid import line, its references (`language`, `topic`, …) resolved
    through `found` (noun → key → row) to IDs; BadScriptError names the field that is not."""
    data = dict(data)
    references = {noun: data.pop(noun, None) for noun in SCRIPT_REFERENCES}
    script = validate(ScriptRow, data)
    values = script.model_dump(exclude={"extra"})
    values["extra"] = script.extra.model_dump(exclude_unset=True)
    rows = {}
    for noun, key in references.items():
        rows[noun] = None if key in (None, "") else found[noun].get(str(key))
        if key not in (None, "") and rows[noun] is None:
            raise BadScriptError(noun, f"unknown {noun} {key!r}")
        values[f"{noun}_id"] = rows[noun].id if rows[noun] is not None else None
    _check_spoken(rows["language"], script)
    return values


def _insert_one_by_one(session_scope, url: str, good: list[tuple[int, dict[str, Any]]],
                       refuse: Callable[[int, str], None]) -> list[tuple[int, int]]:
    """Insert each row in its own transaction, refusing the lines whose value the database refuses;
    (line, script ID) of those written."""
    written = []
    for line_no, values in good:
        try:
            with session_scope(url) as session:
                written.append((line_no, session.scalar(insert(Script).returning(Script.id), values)))
        except (SQLAlchemyError, ValueError) as exc:
            if not _refused_value(exc):
                raise
            refuse(line_no, f"row: the database refused it ({_one_line(exc)})")
    return written


def _insert_scripts(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert scripts rows in the session's transaction; their IDs in the same order."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite cannot return a multi-row INSERT's IDs in row order (SQLAlchemy then splices one-row
        # results, quadratic in the chunk); one statement per row and its rowid costs microseconds.
        conn = session.connection()
        return [conn.execute(insert(Script.__table__), values).inserted_primary_key[0] for values in rows]
    # PostgreSQL: batched multi-row INSERT … RETURNING, ordered by SQLAlchemy's insert sentinel. NULLs
    # are rendered: the ORM otherwise drops None values and batches only consecutive rows with the same
    # keys, so alternating rows with and without a voice went in one per statement.
    return list(session.scalars(insert(Script).returning(Script.id, sort_by_parameter_order=True)
                                .execution_options(render_nulls=True), rows))


def _refused_value(exc: Exception) -> bool:
    """The database (or its driver) refused a value of a row, as opposed to being down or unreachable,
    which ends the import with one line rather than one per row."""
    from sqlalchemy.exc import DataError, IntegrityError, StatementError

    return isinstance(exc, DataError | IntegrityError | ValueError) or type(exc) is StatementError


def _rows_by_key(session: Session, table: Table, keys: set[str]) -> dict[str, Any]:
    """The live rows with these keys, in one query."""
    if not keys:
        return {}
    key = getattr(table.model, table.key)
    return {getattr(row, table.key): row for row in
            session.scalars(select(table.model).where(key.in_(keys), table.model.deleted_at.is_(None)))}


def _one_line(exc: BaseException) -> str:
    from batchvideo_resources.redaction import redact

    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0][:300]
    return redact(f"{type(cause).__name__}: {first}" if first else type(cause).__name__)


def default_asset_root() -> Path:
    return settings.asset_roots()[0]
