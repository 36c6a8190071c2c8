"""The validated snapshot of a scripts row that every stage renders from."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from batchvideo_media.images import installed_family, undrawable
from batchvideo_media.probe import MediaError, probe, run_ffmpeg
from batchvideo_media.text import clean_line, foreign_writing, is_speakable, normalise, writing_systems
from batchvideo_resources import settings

MAX_CONTENT_CHARS = 20_000
MAX_PRIORITY = 1_000_000  # |scripts.priority|; a run's priority tag is the same number
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_FAMILY = re.compile(r"[^\W_][\w .'&+\-]{0,99}")


class BadScriptError(ValueError):
    """The row cannot be rendered; the message names the field. Not worth retrying."""

    def __init__(self, field: str, problem: str):
        self.field = field
        super().__init__(f"{field}: {problem}")


def resolve_asset_path(value: str | None, field: str, kind: str | None = None) -> str | None:
    """A relative file path inside one of the allowed asset roots, or a clear error.

    `kind` ("audio" or "image") also checks that the file decodes as that kind of media, so a
    corrupt file fails here, naming the field, instead of deep inside a render."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadScriptError(field, f"expected a relative file path, got {type(value).__name__}")
    if any(ord(ch) < 32 for ch in value):
        raise BadScriptError(field, f"{value!r} contains control characters")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", value) and not re.match(r"^[A-Za-z]:[\\/]", value):
        raise BadScriptError(field, f"{value!r} is a URL; expected a path relative to the asset folder")
    if re.match(r"^([A-Za-z]:)?[\\/]", value):
        raise BadScriptError(field, f"{value!r} is absolute; expected a path relative to the asset folder")
    candidate = Path(value)
    if candidate.is_absolute() or value.startswith("~"):
        raise BadScriptError(field, f"{value!r} is absolute; expected a path relative to the asset folder")
    if ".." in candidate.parts:
        raise BadScriptError(field, f"{value!r} leaves the asset folder")
    for root in settings.asset_roots():
        path = (root / candidate).resolve()
        if not path.is_relative_to(root):
            raise BadScriptError(field, f"{value!r} leaves the asset folder")
        if path.is_file():
            try:
                with open(path, "rb") as fh:
                    fh.read(1)
            except OSError as exc:
                raise BadScriptError(field, f"{value!r} is not readable ({exc.strerror})") from exc
            if kind is not None:
                _check_media(path, value, field, kind)
            return str(path)
    raise BadScriptError(field, f"file {value!r} not found under {', '.join(map(str, settings.asset_roots()))}")


def _check_media(path: Path, value: str, field: str, kind: str) -> None:
    """Decode the whole file once, here: data that decodes wrongly (a PNG whose pixel data is broken
    under valid checksums) would otherwise make an ffmpeg deep in a render loop over it."""
    if path.stat().st_size == 0:
        raise BadScriptError(field, f"{value!r} is an empty file")
    if kind == "image":
        from PIL import Image

        try:
            with Image.open(path) as img:
                img.load()
        except Exception as exc:  # noqa: BLE001 - any decoder error
            raise BadScriptError(field, f"{value!r} is not a readable image ({type(exc).__name__})") from None
    wanted = {"image": ("video",), "audio": ("audio",), "media": ("audio", "video")}[kind]
    try:
        info = probe(path)
        if not {s.get("codec_type") for s in info.streams} & set(wanted):
            raise MediaError("no usable stream")
        run_ffmpeg(["-xerror", "-i", str(path), "-f", "null", "-"])
    except MediaError as exc:
        what = "image" if kind == "image" else " or ".join(wanted)
        reason = "it did not decode in time" if "did not finish" in str(exc) else "it does not decode"
        raise BadScriptError(field, f"{value!r} is not a readable {what} file ({reason})") from None


class LanguageSpec(BaseModel):
    code: str
    name: str
    tts_voice: str
    square: bool


class VoiceSpec(BaseModel):
    name: str = "default"
    reference_audio: str | None = None
    backend: str = "espeak"


class TopicSpec(BaseModel):
    name: str = "default"
    image_prompt: str = ""
    image_prompt_prefix: str = ""
    cover_prompt: str = ""
    lora_name: str | None = None
    lora_weight: int = Field(default=0, ge=0, le=100)
    broll_ratio: float = Field(default=0.0, ge=0.0, le=1.0)


class DigitalHumanSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")
    avatar: str | None = None
    intro_s: float = Field(default=3.0, ge=0, le=60)
    outro_s: float = Field(default=3.0, ge=0, le=60)
    mode: str = Field(default="fullscreen", pattern="^(fullscreen|corner)$")


class AccountSpec(BaseModel):
    username: str = "default"
    logo: str | None = None
    platform: str = "youtube"
    subtitle_background: str = "#578B2E"
    font: str | None = None
    enable_transition: bool = False
    transition_types: list[str] = Field(default_factory=list)
    digital_human: DigitalHumanSpec | None = None
    watermark: str | None = None
    bgm: str | None = None
    karaoke_subtitles: bool = False  # account extra: highlight each word as it is spoken

    @field_validator("font")
    @classmethod
    def _font(cls, value: str | None) -> str | None:
        # The family lands in an ASS style line, where a comma shifts every later field (no
        # subtitles at all), and in fontconfig patterns: one plain family that is installed.
        if not value:
            return None
        if not _FAMILY.fullmatch(value):
            raise ValueError(f"{value!r} is not a single font family name (letters, digits, spaces, - . ' & +)")
        if not installed_family(value):
            raise ValueError(f"no installed font has the family {value!r} (see fc-list : family)")
        return value

    @field_validator("subtitle_background")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _HEX.fullmatch(value or ""):
            raise ValueError(f"{value!r} is not a #RRGGBB colour")
        return value


class ScriptExtra(BaseModel):
    model_config = ConfigDict(extra="ignore")
    h2v: bool = False
    index_text: str = Field(default="", max_length=200)
    title_text: str = Field(default="", max_length=200)
    desc_text: str = Field(default="", max_length=500)
    audio: str | None = None
    enable_digital_human: bool = False
    broll_ratio: float | None = Field(default=None, ge=0.0, le=1.0)
    bgm: str | None = None
    traditional_subtitle: bool = False
    seed: int | None = None


class ScriptSpec(BaseModel):
    id: int
    title: str = Field(min_length=1, max_length=256)
    content: str
    description: str = ""
    publish_title: str = ""
    language: LanguageSpec
    voice: VoiceSpec
    topic: TopicSpec
    account: AccountSpec
    speech_speed: float = Field(ge=0.5, le=2.0)
    is_horizontal: bool = True
    priority: int = Field(default=0, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    extra: ScriptExtra = Field(default_factory=ScriptExtra)

    @property
    def size(self) -> tuple[int, int]:
        return (1360, 768) if self.is_horizontal else (768, 1360)

    @property
    def canvas(self) -> tuple[int, int]:
        """Final frame size: h2v puts a horizontal job on a 9:16 canvas."""
        return (768, 1360) if (self.extra.h2v and self.is_horizontal) else self.size

    @property
    def vertical_layout(self) -> bool:
        w, h = self.canvas
        return h > w

    @property
    def broll_ratio(self) -> float:
        return self.extra.broll_ratio if self.extra.broll_ratio is not None else self.topic.broll_ratio

    @property
    def bgm_path(self) -> str | None:
        return self.extra.bgm or self.account.bgm

    def digest(self) -> str:
        """Hash of everything that changes the video, including referenced files' sizes/mtimes."""
        data = self.model_dump(mode="json")
        files = [self.voice.reference_audio, self.account.logo, self.extra.audio, self.extra.bgm, self.account.bgm]
        data["_files"] = {f: _file_stamp(f) for f in files if f}
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _file_stamp(path: str) -> str:
    st = Path(path).stat()
    return f"{st.st_size}:{int(st.st_mtime)}"


def _field_from_error(exc: ValidationError, prefix: str = "") -> BadScriptError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return BadScriptError(f"{prefix}{loc}" if loc else prefix.rstrip(".") or "row", err["msg"])


def check_writing(content: str, language: str) -> None:
    """The text is in a writing system its language speaks, and some installed font can draw it;
    otherwise the TTS reads letter names and the subtitles show nothing (a wrong video)."""
    foreign = foreign_writing(content, language)
    if foreign:
        system, letters = foreign
        raise BadScriptError("content", f"is written in {system.title()} letters (e.g. {letters[0]!r}), which "
                                        f"language {language} is not written in; set the script's language")
    for system, letters in writing_systems(content).items():
        missing = undrawable(letters)
        if missing:
            raise BadScriptError("content", f"has {system.title()} letters (e.g. {missing[0]!r}) that no "
                                            "installed font can draw")


def _clean_optional(value: Any) -> Any:
    return clean_line(value) if isinstance(value, str) else value


def build_spec(row: Any) -> ScriptSpec:
    """Validate an ORM `Script` (with its related rows) into a ScriptSpec, or raise BadScriptError."""
    content = normalise(row.content or "")
    if not content:
        raise BadScriptError("content", "is empty")
    if len(content) > MAX_CONTENT_CHARS:
        raise BadScriptError("content", f"has {len(content)} characters; the limit is {MAX_CONTENT_CHARS}")
    if not is_speakable(content):
        raise BadScriptError("content", "has no speakable text (only symbols or emoji)")
    if row.language is None:
        raise BadScriptError("language_id", "no language set and none could be resolved")
    check_writing(content, row.language.code)

    raw_extra = row.extra if row.extra is not None else {}
    if isinstance(raw_extra, str):
        try:
            raw_extra = json.loads(raw_extra)
        except json.JSONDecodeError as exc:
            raise BadScriptError("extra", f"is not valid JSON ({exc.msg})") from exc
        except RecursionError:
            raise BadScriptError("extra", "is nested too deeply") from None
    if not isinstance(raw_extra, dict):
        raise BadScriptError("extra", f"must be a JSON object, got {type(raw_extra).__name__}")
    try:
        extra = ScriptExtra.model_validate(raw_extra)
    except ValidationError as exc:
        raise _field_from_error(exc, "extra.") from exc
    # Display lines carry no control or bidi characters: an override could reorder the cover's text.
    extra.index_text, extra.title_text, extra.desc_text = (
        clean_line(extra.index_text), clean_line(extra.title_text), clean_line(extra.desc_text))
    extra.audio = resolve_asset_path(extra.audio, "extra.audio", "audio")
    extra.bgm = resolve_asset_path(extra.bgm, "extra.bgm", "audio")

    voice = VoiceSpec()
    if row.voice is not None:
        voice = VoiceSpec(name=row.voice.name, backend=row.voice.backend,
                          reference_audio=resolve_asset_path(row.voice.reference_audio, "voice.reference_audio",
                                                            "audio"))
    try:
        topic = TopicSpec() if row.topic is None else TopicSpec(
            name=row.topic.name, image_prompt=row.topic.image_prompt or "",
            image_prompt_prefix=row.topic.image_prompt_prefix or "", cover_prompt=row.topic.cover_prompt or "",
            lora_name=row.topic.lora_name, lora_weight=row.topic.lora_weight or 0,
            broll_ratio=row.topic.broll_ratio or 0.0)
    except ValidationError as exc:
        raise _field_from_error(exc, "topic.") from exc
    account = AccountSpec()
    if row.account is not None:
        acc = row.account
        acc_extra = acc.extra if acc.extra is not None else {}
        if not isinstance(acc_extra, dict):
            raise BadScriptError("account.extra", f"must be a JSON object, got {type(acc_extra).__name__}")
        digital_human = None
        if acc.digital_human:
            try:
                digital_human = DigitalHumanSpec.model_validate(acc.digital_human)
            except ValidationError as exc:
                raise _field_from_error(exc, "account.digital_human.") from exc
        transitions = acc.transition_types or []
        if not isinstance(transitions, list):
            raise BadScriptError("account.transition_types", f"must be a list, got {type(transitions).__name__}")
        try:
            account = AccountSpec(
                username=acc.username, platform=acc.platform or "youtube",
                subtitle_background=acc.subtitle_background or "#578B2E", font=acc.font,
                enable_transition=bool(acc.enable_transition), transition_types=list(transitions),
                digital_human=digital_human, watermark=_clean_optional(acc_extra.get("watermark")), bgm=acc_extra.get("bgm"),
                karaoke_subtitles=acc_extra.get("karaoke_subtitles", False))
        except ValidationError as exc:
            raise _field_from_error(exc, "account.") from exc
        account.logo = resolve_asset_path(acc.logo, "account.logo", "image")
        account.bgm = resolve_asset_path(account.bgm, "account.extra.bgm", "audio")
        if account.digital_human and account.digital_human.avatar:
            account.digital_human.avatar = resolve_asset_path(account.digital_human.avatar,
                                                              "account.digital_human.avatar", "media")
    try:
        return ScriptSpec(
            id=row.id, title=clean_line(row.title or ""), content=content,
            description=clean_line(row.description or ""), publish_title=clean_line(row.publish_title or ""),
            language=LanguageSpec(code=row.language.code, name=row.language.name,
                                  tts_voice=row.language.tts_voice, square=bool(row.language.square)),
            voice=voice, topic=topic, account=account,
            speech_speed=row.speech_speed if row.speech_speed is not None else 1.0,
            is_horizontal=bool(row.is_horizontal) if row.is_horizontal is not None else True,
            priority=row.priority or 0, extra=extra)
    except ValidationError as exc:
        raise _field_from_error(exc) from exc
