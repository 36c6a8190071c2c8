"""The scripts database: scripts and the tables they reference (docs/channels.md). Schema changes go
through the Alembic migrations beside this file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, FetchedValue, Float, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


TRUE_WORDS, FALSE_WORDS = {"1", "true", "t", "yes", "y"}, {"0", "false", "f", "no", "n"}


class StrictBoolean(TypeDecorator):
    """A boolean column that reads only booleans. SQLite has no boolean type, so raw SQL can store
    'maybe' or 'false' in it, which SQLAlchemy's Boolean reads as True; here the words of a boolean
    are read for what they say and anything else raises ValueError (the row fails naming the column)."""

    impl = Boolean
    cache_ok = True

    def result_processor(self, dialect, coltype):
        def process(value):
            if value is None or isinstance(value, bool):
                return value
            if isinstance(value, int | float) and value in (0, 1):
                return bool(value)
            word = str(value).strip().lower()
            if word in TRUE_WORDS | FALSE_WORDS:
                return word in TRUE_WORDS
            raise ValueError(f"{value!r} is not a boolean")

        return process


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Language(Base):
    __tablename__ = "languages"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    tts_voice: Mapped[str] = mapped_column(String(64))
    square: Mapped[bool] = mapped_column(StrictBoolean, default=False)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Voice(Base):
    __tablename__ = "voices"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    reference_audio: Mapped[str | None] = mapped_column(String(512), nullable=True)
    backend: Mapped[str] = mapped_column(String(32), default="espeak")
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Topic(Base):
    __tablename__ = "topics"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    image_prompt: Mapped[str] = mapped_column(Text, default="")
    image_prompt_prefix: Mapped[str] = mapped_column(Text, default="")
    cover_prompt: Mapped[str] = mapped_column(Text, default="")
    lora_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lora_weight: Mapped[int] = mapped_column(Integer, default=0)
    broll_ratio: Mapped[float] = mapped_column(Float, default=0.0)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    logo: Mapped[str | None] = mapped_column(String(512), nullable=True)
    platform: Mapped[str] = mapped_column(String(32), default="youtube")
    subtitle_background: Mapped[str] = mapped_column(String(16), default="#578B2E")
    font: Mapped[str | None] = mapped_column(String(128), nullable=True)
    enable_transition: Mapped[bool] = mapped_column(StrictBoolean, default=False)
    transition_types: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    digital_human: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Script(Base):
    __tablename__ = "scripts"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(256))
    content: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    publish_title: Mapped[str | None] = mapped_column(String(256), nullable=True)
    language_id: Mapped[int | None] = mapped_column(ForeignKey("languages.id"), nullable=True)
    voice_id: Mapped[int | None] = mapped_column(ForeignKey("voices.id"), nullable=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"), nullable=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    speech_speed: Mapped[float] = mapped_column(Float, default=1.0)
    is_horizontal: Mapped[bool] = mapped_column(StrictBoolean, default=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, server_default=func.now(), index=True
    )
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # Moved by a database trigger on every edit that changes the video (migration 0002), whoever the
    # writer is; the ORM only reads it back (server-side default and update).
    revision: Mapped[int] = mapped_column(Integer, server_default="1", server_onupdate=FetchedValue())

    language: Mapped[Language | None] = relationship()
    voice: Mapped[Voice | None] = relationship()
    topic: Mapped[Topic | None] = relationship()
    account: Mapped[Account | None] = relationship()


class ScriptRun(Base):
    __tablename__ = "script_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(Integer, index=True)
    run_id: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    status_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class ScriptChange(Base):
    """The scripts table's change feed (migration 0004): one row per script, its latest INSERT,
    revision-moving UPDATE or DELETE ('D', a tombstone), written by triggers. Read by the scripts
    sensor through `batchvideo_resources.db.feed`; nothing writes it but the triggers."""

    __tablename__ = "script_changes"
    __table_args__ = {"sqlite_autoincrement": True}
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                     autoincrement=True)
    script_id: Mapped[int] = mapped_column(Integer, index=True)
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    op: Mapped[str] = mapped_column(String(1))
    txid: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # PostgreSQL only; for diagnosis
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
