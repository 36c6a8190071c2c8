"""What a valid row of each table is: one pydantic model per table, holding every rule for its values.

The CLI validates what a user types or imports with these models before anything is written, and the
render (`build_spec`, at the end) validates the stored rows with the same models, so a value that got
into a table another way (raw SQL, another service) fails the render naming the same field.

Field names are the table's column names. Rules that look outside the value itself: referenced files
exist under the asset roots and decode, fonts are installed fontconfig families, transition names are
ones ffmpeg's xfade knows, LoRA names resolve when the Flux backend is configured, and a language's
espeak voice exists when espeak speaks.

Validation context (`model_validate(..., context=…)`):
- `resolve_paths`: store referenced files as absolute paths (the render) instead of as given (the tables);
- `tts_backend`: which TTS backend must speak a language's `tts_voice` (default: BATCHVIDEO_TTS_BACKEND);
  None skips the check (the render's `script` asset checks it against its own TTS resource).
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from batchvideo_media.compose.graph import XFADE_TYPES
from batchvideo_media.espeak import espeak_missing_voice, espeak_voices
from batchvideo_media.text import clean_line, is_speakable, normalise
from batchvideo_resources import settings
from batchvideo_resources.db import Account, Language, Script, Topic, Voice
from batchvideo_resources.script_spec import (
    MAX_CONTENT_CHARS,
    MAX_PRIORITY,
    AccountSpec,
    BadScriptError,
    DigitalHumanSpec,
    LanguageSpec,
    ScriptExtra,
    ScriptSpec,
    TopicSpec,
    VoiceSpec,
    check_writing,
    resolve_asset_path,
)

RENDER_CONTEXT = {"resolve_paths": True, "tts_backend": None}
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_LORA_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


# ---------------------------------------------------------------------------------------- outside checks
def espeak_voice_exists(voice: str) -> bool:
    """A voice espeak-ng really has. Names are matched exactly, because espeak silently falls back to
    a prefix match ("no-such-voice" speaks Norwegian); a bare language code its list shows only with a
    region (`fr` for `fr-fr`) counts when espeak-ng itself accepts it."""
    name = voice.split("+", 1)[0].strip().lower()
    voices = espeak_voices()
    if not voices or name in voices:
        return True
    return "-" not in name and any(v.startswith(name + "-") for v in voices) and espeak_missing_voice(voice) is None


@functools.lru_cache(maxsize=1)
def font_families() -> frozenset[str]:
    """Every family name fontconfig knows (a font file lists its names comma-separated), case-folded."""
    try:
        listing = subprocess.run(["fc-list", "--format", "%{family}\n"], capture_output=True, text=True,
                                 timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(name.strip().casefold() for line in listing.splitlines() for name in line.split(",")
                     if name.strip())


def lora_dir() -> Path:
    return Path(settings.load_settings().image.lora_dir or settings.data_dir() / "loras")


def lora_path(name: str, root: Path | None = None) -> Path | None:
    """The LoRA weights named `name`: a folder or `<name>.safetensors` under the LoRA folder; None for a
    name that resolves outside it (absolute, `..`, a symlink out)."""
    root = (root or lora_dir()).resolve()
    return next((c for c in (root / name, root / f"{name}.safetensors")
                 if c.resolve().is_relative_to(root) and c.resolve() != root and c.exists()), None)


@functools.lru_cache(maxsize=8)
def normalised(content: str) -> str:
    """`text.normalise`, remembered for the last few texts: a row's content is normalised when it is
    validated and again when the import checks its writing system against its language."""
    return normalise(content)


# ---------------------------------------------------------------------------------------- field types
def _asset_file(kind: str):
    """A file under the asset roots that decodes as `kind` (see resolve_asset_path)."""
    def check(value: str | None, info: ValidationInfo) -> str | None:
        resolved = resolve_asset_path(value, info.field_name, kind)
        return resolved if (info.context or {}).get("resolve_paths") else value
    return AfterValidator(check)


def _blank_is_none(value: Any) -> Any:
    # CSV cells and CLI options have no null: an empty value means "not set".
    return None if isinstance(value, str) and not value.strip() else value


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice (json.loads would silently keep the last)."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"the key {key!r} appears twice")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKeyError(key)
        seen[key] = value
    return seen


def loads_json(text: str) -> Any:
    """`json.loads`, refusing an object that gives a key twice (DuplicateKeyError): the last value
    winning, unseen, is how a `language` typed twice ends up the wrong one."""
    return json.loads(text, object_pairs_hook=_unique_keys)


def _json_text(value: Any) -> Any:
    """JSON columns arrive as JSON text from CSV files and CLI options. Text that is not JSON and does
    not open an object or array is kept as text (a JSON column holding a bare string, written by raw
    SQL, reads back as one), so the caller says what the value must be rather than "not valid JSON"."""
    value = _blank_is_none(value)
    if isinstance(value, str):
        try:
            return loads_json(value)
        except DuplicateKeyError as exc:
            raise ValueError(f"has the key {exc.key!r} twice") from None
        except json.JSONDecodeError as exc:
            if value.lstrip().startswith(("{", "[")):
                raise ValueError(f"is not valid JSON ({exc.msg})") from None
    return value


def _json_kind(value: Any) -> str:
    return {str: "text", list: "an array", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def _json_object(value: Any) -> dict:
    value = _json_text(value)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"must be a JSON object, got {_json_kind(value)}")
    return value


def _json_object_or_none(value: Any) -> dict | None:
    value = _json_text(value)
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"must be a JSON object, got {_json_kind(value)}")
    return value


def _name_list(value: Any) -> Any:
    """A JSON list, or names separated by commas (`fade,slideleft`)."""
    value = _blank_is_none(value)
    if isinstance(value, str):
        return _json_text(value) if value.lstrip().startswith("[") else [v.strip() for v in value.split(",")]
    return [] if value is None else value


def _between(low: float, high: float):
    def check(value: float | None) -> float | None:
        if value is not None and not low <= value <= high:  # also refuses NaN
            raise ValueError(f"{value} is outside {low}–{high}")
        return value
    return AfterValidator(check)


def _at_most(limit: int):
    def check(value: str | None) -> str | None:
        if value is not None and len(value) > limit:
            raise ValueError(f"has {len(value)} characters; the limit is {limit}")
        return value
    return AfterValidator(check)


ImageFile = Annotated[str | None, BeforeValidator(_blank_is_none), _asset_file("image")]
AudioFile = Annotated[str | None, BeforeValidator(_blank_is_none), _asset_file("audio")]
PresenterFile = Annotated[str | None, BeforeValidator(_blank_is_none), _asset_file("presenter")]
OptionalText = Annotated[str | None, BeforeValidator(_blank_is_none)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(_json_object)]


class TableRow(BaseModel):
    """Text fits its column (PostgreSQL refuses what does not), and a key is never blank."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)
    table: ClassVar[Any]
    key: ClassVar[str | None] = None

    @field_validator("*")
    @classmethod
    def _fits_column(cls, value: Any, info: ValidationInfo) -> Any:
        column = cls.table.columns.get(info.field_name)
        length = getattr(column.type, "length", None) if column is not None else None
        if isinstance(value, str) and length and len(value) > length:
            raise ValueError(f"has {len(value)} characters; the limit is {length}")
        if info.field_name == cls.key and not (value or "").strip():
            raise ValueError("is empty")
        return value


# ---------------------------------------------------------------------------------------- the tables
class LanguageRow(TableRow, LanguageSpec):
    table = Language.__table__
    key = "code"
    square: bool = False

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _LANGUAGE_CODE.fullmatch(value):
            raise ValueError(f"{value!r} is not a language code like zh-CN or en-US")
        return value

    @field_validator("tts_voice")
    @classmethod
    def _spoken(cls, value: str, info: ValidationInfo) -> str:
        context = info.context or {}
        backend = context.get("tts_backend") or settings.load_settings().tts.backend
        if backend != "http" and not espeak_voice_exists(value):  # piper leaves other languages to espeak
            raise ValueError(f"espeak-ng has no voice {value!r} (see `espeak-ng --voices`)")
        return value


class VoiceRow(TableRow, VoiceSpec):
    table = Voice.__table__
    key = "name"
    name: str
    reference_audio: AudioFile = None

    @model_validator(mode="after")
    def _clip_has_its_transcript(self) -> "VoiceRow":
        """The voice-cloning server conditions on what the clip says (`<clip>.txt` beside it): without
        it every sentence of a script in this voice would be refused at render, so it is refused here."""
        if self.backend == "http" and self.reference_audio:
            clip = Path(self.reference_audio)  # already resolved when validated for a render
            if not clip.is_absolute():
                clip = Path(resolve_asset_path(self.reference_audio, "reference_audio"))
            transcript = clip.with_suffix(".txt")
            if not transcript.is_file() or not transcript.read_text(encoding="utf-8", errors="replace").strip():
                raise BadScriptError("reference_audio", f"{self.reference_audio!r} needs its transcript beside it, "
                                     f"{transcript.name} (what the clip says, for the voice-cloning server)")
        return self


class TopicRow(TableRow, TopicSpec):
    table = Topic.__table__
    key = "name"
    name: str
    lora_name: OptionalText = None
    lora_weight: Annotated[int, _between(0, 100)] = 0
    broll_ratio: Annotated[float, _between(0.0, 1.0)] = 0.0
    extra: JsonObject = {}

    @field_validator("image_prompt", "image_prompt_prefix", "cover_prompt", mode="before")
    @classmethod
    def _no_prompt(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("lora_name")
    @classmethod
    def _lora_resolves(cls, value: str | None) -> str | None:
        if value and not _LORA_NAME.fullmatch(value):  # it is joined to the LoRA folder as a path
            raise ValueError(f"{value!r} is not a LoRA name (letters, digits, '.', '_', '-'; a file or folder "
                             "name inside the LoRA folder, no path)")
        if value and settings.load_settings().image.backend == "flux" and lora_path(value) is None:
            raise ValueError(f"LoRA {value!r} not found in {lora_dir()} (expected a folder or "
                             f"{value}.safetensors)")
        return value


class DigitalHumanRow(DigitalHumanSpec):
    model_config = ConfigDict(extra="forbid")
    avatar: PresenterFile = None
    intro_s: Annotated[float, _between(0, 60)] = DigitalHumanSpec.model_fields["intro_s"].default
    outro_s: Annotated[float, _between(0, 60)] = DigitalHumanSpec.model_fields["outro_s"].default

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in ("fullscreen", "corner"):
            raise ValueError(f"{value!r} is not fullscreen or corner")
        return value

    @field_validator("face_box")
    @classmethod
    def _face_box(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and (len(value) != 4 or min(value) < 0 or value[0] >= value[2]
                                  or value[1] >= value[3]):
            raise ValueError(f"{value!r} is not [x1, y1, x2, y2] with 0 <= x1 < x2 and 0 <= y1 < y2 (avatar pixels)")
        return value


class AccountExtraRow(BaseModel):
    """`accounts.extra`: background music and watermark text; other keys are kept as they are."""

    model_config = ConfigDict(extra="allow")
    bgm: AudioFile = None
    watermark: Annotated[OptionalText, _at_most(200)] = None


class AccountRow(TableRow):
    table = Account.__table__
    key = "username"
    username: str
    logo: ImageFile = None
    platform: str = "youtube"
    subtitle_background: str = "#578B2E"
    font: OptionalText = None
    enable_transition: bool = False
    transition_types: Annotated[list[str], BeforeValidator(_name_list)] = []
    digital_human: Annotated[DigitalHumanRow | None, BeforeValidator(_json_object_or_none)] = None
    extra: Annotated[AccountExtraRow, BeforeValidator(_json_object)] = Field(default_factory=AccountExtraRow)

    @field_validator("subtitle_background")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _HEX_COLOUR.fullmatch(value):
            raise ValueError(f"{value!r} is not a #RRGGBB colour")
        return value

    @field_validator("font")
    @classmethod
    def _installed_family(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if "," in value:
            raise ValueError(f"{value!r} is a list; give one font family")
        families = font_families()
        if families and value.strip().casefold() not in families:
            raise ValueError(f"font family {value!r} is not installed (see `fc-list : family`)")
        return value

    @field_validator("transition_types")
    @classmethod
    def _known_transitions(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in XFADE_TYPES]
        if unknown:
            raise ValueError(f"unknown transition {unknown[0]!r}; known: {', '.join(sorted(XFADE_TYPES))}")
        return value


class ScriptExtraRow(ScriptExtra):
    audio: AudioFile = None
    bgm: AudioFile = None
    broll_ratio: Annotated[float | None, _between(0.0, 1.0)] = None
    index_text: Annotated[str, _at_most(200)] = ""
    title_text: Annotated[str, _at_most(200)] = ""
    desc_text: Annotated[str, _at_most(500)] = ""


class ScriptRow(TableRow):
    """A scripts row's own values; its language/voice/topic/account are looked up by the caller."""

    table = Script.__table__
    title: str
    content: str
    description: OptionalText = None
    publish_title: OptionalText = None
    speech_speed: Annotated[float, _between(0.5, 2.0)] = 1.0
    is_horizontal: bool = True
    priority: Annotated[int, _between(-MAX_PRIORITY, MAX_PRIORITY)] = 0
    # A factory, not an instance: pydantic deep-copies a model default for every row it validates.
    extra: Annotated[ScriptExtraRow, BeforeValidator(_json_object)] = Field(default_factory=ScriptExtraRow)

    @field_validator("speech_speed", "is_horizontal", "priority", mode="before")
    @classmethod
    def _blank_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        return cls.model_fields[info.field_name].default if _blank_is_none(value) is None else value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("is empty")
        return value

    @field_validator("content")
    @classmethod
    def _speakable(cls, value: str) -> str:
        text = normalised(value)
        if not text:
            raise ValueError("is empty")
        if len(text) > MAX_CONTENT_CHARS:
            raise ValueError(f"has {len(text)} characters; the limit is {MAX_CONTENT_CHARS}")
        if not is_speakable(text):
            raise ValueError("has no speakable text (only symbols or emoji)")
        return value


# The model for each reference table, by the name a script refers to it with.
TABLE_ROWS: dict[str, type[TableRow]] = {"language": LanguageRow, "voice": VoiceRow, "topic": TopicRow,
                                          "account": AccountRow}


# ---------------------------------------------------------------------------------------- entry point
def validate(model: type[BaseModel], data: Any, prefix: str = "", context: dict | None = None):
    """`model` validated from a dict or an ORM row, or BadScriptError naming the first bad field."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise field_error(exc, prefix) from None


def field_error(exc: ValidationError, prefix: str = "") -> BadScriptError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, BadScriptError):
        problem = cause.problem
        loc = loc or cause.field  # a check across fields names the field it is about
    elif err["type"] == "value_error":
        problem = str(cause)
    elif err["type"] == "extra_forbidden":
        problem = "unknown field"
    else:
        problem = err["msg"]
    return BadScriptError(f"{prefix}{loc}" if loc else prefix.rstrip(".") or "row", problem)


def _clean_optional(value: Any) -> Any:
    return clean_line(value) if isinstance(value, str) else value


def build_spec(row: Any) -> ScriptSpec:
    """Validate an ORM `Script` and its related rows with the tables' models into a ScriptSpec, or raise
    BadScriptError naming the field (`account.logo`, `extra.bgm`, …)."""
    if row.language is None:
        raise BadScriptError("language_id", "no language set and none could be resolved")
    for name in ("language", "voice", "topic", "account"):
        related = getattr(row, name)
        if related is not None and related.deleted_at is not None:
            raise BadScriptError(name, f"{getattr(related, TABLE_ROWS[name].key)!r} was deleted")
    script = validate(ScriptRow, row, context=RENDER_CONTEXT)
    language = validate(LanguageRow, row.language, "language.", RENDER_CONTEXT)
    check_writing(normalise(script.content), language.code)
    voice = VoiceSpec() if row.voice is None else validate(VoiceRow, row.voice, "voice.",
                                                                 RENDER_CONTEXT)
    topic = TopicSpec() if row.topic is None else validate(TopicRow, row.topic, "topic.",
                                                                 RENDER_CONTEXT)
    account = AccountSpec()
    if row.account is not None:
        acc = validate(AccountRow, row.account, "account.", RENDER_CONTEXT)
        account = AccountSpec(**acc.model_dump(exclude={"extra"}), watermark=_clean_optional(acc.extra.watermark),
                              bgm=acc.extra.bgm,
                              karaoke_subtitles=bool(getattr(acc.extra, "karaoke_subtitles", False)))
    extra = _snapshot(ScriptExtra, script.extra)
    # Display lines carry no control or bidi characters: an override could reorder the cover's text.
    extra.index_text, extra.title_text, extra.desc_text = (
        clean_line(extra.index_text), clean_line(extra.title_text), clean_line(extra.desc_text))
    return ScriptSpec(
        id=row.id, title=clean_line(script.title), content=normalise(script.content),
        description=clean_line(script.description or ""), publish_title=clean_line(script.publish_title or ""),
        language=_snapshot(LanguageSpec, language), voice=_snapshot(VoiceSpec, voice),
        topic=_snapshot(TopicSpec, topic), account=account, speech_speed=script.speech_speed,
        is_horizontal=script.is_horizontal, priority=script.priority, extra=extra)


def _snapshot(model: type[BaseModel], validated: BaseModel) -> BaseModel:
    return model.model_validate(validated.model_dump(include=set(model.model_fields)))
