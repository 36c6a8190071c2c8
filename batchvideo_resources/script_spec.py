"""The validated snapshot of a scripts row that every stage renders from.

The snapshot models below only carry values; the rules a row must meet live in one model per table
(`catalog_spec`), whose `build_spec` applies them to the stored rows, as the CLI does to what it writes."""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from batchvideo_media.probe import MediaError, probe, run_ffmpeg
from batchvideo_media.text import foreign_writing, writing_systems
from batchvideo_resources import settings

MAX_CONTENT_CHARS = 20_000
MIN_PRESENTER_SIDE = 64  # pixels: below this a presenter picture cannot show a face
MAX_PRIORITY = 1_000_000  # |scripts.priority|; a run's priority tag is the same number
FRAME = (1360, 768)  # a horizontal video; a vertical one is the same turned


def frame_size(horizontal: bool) -> tuple[int, int]:
    """The video's frame size: FRAME, or FRAME turned, scaled by BATCHVIDEO_CANVAS_SCALE (1 but in tests,
    which render small where the size is not what they check) to even pixels, as H.264 4:2:0 needs."""
    scale = settings.canvas_scale()
    w, h = (2 * round(side * scale / 2) for side in FRAME)
    return (w, h) if horizontal else (h, w)


class BadScriptError(ValueError):
    """The row cannot be rendered; the message names the field. Not worth retrying."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
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
    checked = _FILE_CHECKS.get()
    if checked is None:
        return _locate(candidate, value, field, kind)
    if (value, kind) not in checked:
        try:
            checked[value, kind] = _locate(candidate, value, field, kind)
        except BadScriptError as exc:
            checked[value, kind] = exc
    outcome = checked[value, kind]
    if isinstance(outcome, BadScriptError):
        raise BadScriptError(field, outcome.problem)
    return outcome


# (value, kind) -> resolved path or the problem, while `files_checked_once()` is in force.
_FILE_CHECKS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("batchvideo_file_checks", default=None)


@contextlib.contextmanager
def files_checked_once() -> Iterator[None]:
    """Within this block each distinct file reference is located and decoded once, its outcome reused:
    10,000 imported rows sharing one background music file decode it once, not 10,000 times."""
    token = _FILE_CHECKS.set({})
    try:
        yield
    finally:
        _FILE_CHECKS.reset(token)


def _locate(candidate: Path, value: str, field: str, kind: str | None) -> str:
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
    wanted = {"image": ("video",), "audio": ("audio",), "media": ("audio", "video"), "presenter": ("video",)}[kind]
    try:
        info = probe(path)
        if not {s.get("codec_type") for s in info.streams} & set(wanted):
            raise MediaError("no usable stream")
        run_ffmpeg(["-xerror", "-i", str(path), "-f", "null", "-"])
    except MediaError as exc:
        what = "image" if kind == "image" else "picture or video" if kind == "presenter" else " or ".join(wanted)
        reason = "it did not decode in time" if "did not finish" in str(exc) else "it does not decode"
        raise BadScriptError(field, f"{value!r} is not a readable {what} file ({reason})") from None
    # Files that decode yet would make a wrong video: narration or music without a single sample (the
    # render fails on it later), a presenter picture too small to hold a face (a flat box on screen).
    if kind == "audio" and max([info.duration_s, *(_seconds(s.get("duration")) for s in info.streams
                                                   if s.get("codec_type") == "audio")]) <= 0:
        raise BadScriptError(field, f"{value!r} has no audio samples (0 s long)")
    if kind == "presenter" and min(info.width or 0, info.height or 0) < MIN_PRESENTER_SIDE:
        raise BadScriptError(field, f"{value!r} is {info.width}×{info.height} pixels; a presenter picture needs "
                                    f"at least {MIN_PRESENTER_SIDE}×{MIN_PRESENTER_SIDE} to show a face")


def _seconds(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


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
    lora_weight: int = 0
    broll_ratio: float = 0.0


class DigitalHumanSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")
    avatar: str | None = None
    intro_s: float = 3.0
    outro_s: float = 3.0
    mode: str = "fullscreen"
    # [x1, y1, x2, y2] in the avatar's own pixels: where the lip-sync server finds the face instead of
    # running its detector (services/lipsync); None lets the server detect it.
    face_box: list[int] | None = None


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


class ScriptExtra(BaseModel):
    model_config = ConfigDict(extra="ignore")
    h2v: bool = False
    index_text: str = ""
    title_text: str = ""
    desc_text: str = ""
    audio: str | None = None
    enable_digital_human: bool = False
    broll_ratio: float | None = None
    bgm: str | None = None
    traditional_subtitle: bool = False
    seed: int | None = None


class ScriptSpec(BaseModel):
    id: int
    title: str
    content: str
    description: str = ""
    publish_title: str = ""
    language: LanguageSpec
    voice: VoiceSpec
    topic: TopicSpec
    account: AccountSpec
    speech_speed: float
    is_horizontal: bool = True
    priority: int = Field(default=0, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    extra: ScriptExtra = Field(default_factory=ScriptExtra)

    @property
    def size(self) -> tuple[int, int]:
        return frame_size(self.is_horizontal)

    @property
    def canvas(self) -> tuple[int, int]:
        """Final frame size: h2v puts a horizontal job on a 9:16 canvas."""
        return frame_size(False) if (self.extra.h2v and self.is_horizontal) else self.size

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


def check_language_writing(content: str, language: str) -> None:
    """The (normalised) text is in a writing system its language is written in: a script whose letters
    are 5 % or more (and at least 3) in a system foreign to the language is refused, so a stray π or a
    quoted name passes and Chinese text labelled en-US does not (`text.foreign_writing`). Cheap: the
    import applies it to every row."""
    foreign = foreign_writing(content, language)
    if foreign:
        system, letters = foreign
        raise BadScriptError("content", f"is written in {system.title()} letters (e.g. {letters[0]!r}), which "
                                        f"language {language} is not written in; set the script's language")


def check_writing(content: str, language: str) -> None:
    """The text is in a writing system its language speaks, and some installed font can draw it;
    otherwise the TTS reads letter names and the subtitles show nothing (a wrong video)."""
    check_language_writing(content, language)
    from batchvideo_media.images import undrawable  # Pillow: loaded only when a text is checked

    for system, letters in writing_systems(content).items():
        missing = undrawable(letters)
        if missing:
            raise BadScriptError("content", f"has {system.title()} letters (e.g. {missing[0]!r}) that no "
                                            "installed font can draw")
