"""Reference data (languages, voices, topics, accounts) and script creation shared by the CLI and demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from batchvideo_media.files import atomic_write
from batchvideo_media.images import render_sample_logo
from batchvideo_media.probe import run_ffmpeg
from batchvideo_media.text import is_speakable, normalise
from batchvideo_resources import settings
from batchvideo_resources.db import Account, Language, Script, Topic, Voice
from batchvideo_resources.script_spec import MAX_CONTENT_CHARS, MAX_PRIORITY, BadScriptError
from batchvideo_resources.tts import espeak_missing_voice

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
SCRIPT_FIELDS = {"title", "content", "language", "voice", "topic", "account", "speech_speed", "is_horizontal",
                 "description", "publish_title", "extra", "priority"}


def ensure_sample_assets(root: Path) -> dict[str, str]:
    """A sample logo and background music under the first asset root (idempotent)."""
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
        session.add(Account(username="plain", logo=None, subtitle_background="#1F3A93", extra={}))
    session.flush()


def _lookup(session: Session, model, column, value, field: str):
    if value in (None, ""):
        return None
    row = session.scalar(select(model).where(column == value))
    if row is None:
        raise BadScriptError(field, f"unknown {field} {value!r}")
    return row


def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "t"):
        return True
    if text in ("0", "false", "no", "n", "f", ""):
        return False
    raise BadScriptError(field, f"{value!r} is not a boolean")


def add_script(session: Session, data: dict[str, Any]) -> Script:
    """Create a scripts row from user fields, checking what can be checked before rendering."""
    unknown = set(data) - SCRIPT_FIELDS
    if unknown:
        raise BadScriptError(sorted(unknown)[0], "unknown field")
    title = str(data.get("title") or "").strip()
    content = str(data.get("content") or "")
    if not title:
        raise BadScriptError("title", "is empty")
    if len(title) > 256:
        raise BadScriptError("title", f"has {len(title)} characters; the limit is 256")
    if not normalise(content):
        raise BadScriptError("content", "is empty")
    if len(content) > MAX_CONTENT_CHARS:
        raise BadScriptError("content", f"has {len(content)} characters; the limit is {MAX_CONTENT_CHARS}")
    if not is_speakable(normalise(content)):
        raise BadScriptError("content", "has no speakable text (only symbols or emoji)")
    try:
        speed = float(data.get("speech_speed") if data.get("speech_speed") not in (None, "") else 1.0)
    except (TypeError, ValueError):
        raise BadScriptError("speech_speed", f"{data.get('speech_speed')!r} is not a number") from None
    if not 0.5 <= speed <= 2.0:  # also false for NaN
        raise BadScriptError("speech_speed", f"{speed} is outside 0.5–2.0")
    extra = data.get("extra") or {}
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except json.JSONDecodeError as exc:
            raise BadScriptError("extra", f"is not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise BadScriptError("extra", "is nested too deeply") from None
    if not isinstance(extra, dict):
        raise BadScriptError("extra", "must be a JSON object")
    try:
        priority = int(data.get("priority") or 0)
    except (TypeError, ValueError):
        raise BadScriptError("priority", f"{data.get('priority')!r} is not an integer") from None
    if not -MAX_PRIORITY <= priority <= MAX_PRIORITY:
        raise BadScriptError("priority", f"{priority} is outside ±{MAX_PRIORITY}")
    language = _lookup(session, Language, Language.code, data.get("language"), "language")
    if language is not None and settings.load_settings().tts.backend == "espeak" and not extra.get("audio"):
        problem = espeak_missing_voice(language.tts_voice)
        if problem:
            raise BadScriptError("language", f"{language.code} cannot be spoken: {problem}")
    row = Script(
        title=title, content=content, description=data.get("description") or None,
        publish_title=data.get("publish_title") or None,
        language=language,
        voice=_lookup(session, Voice, Voice.name, data.get("voice"), "voice"),
        topic=_lookup(session, Topic, Topic.name, data.get("topic"), "topic"),
        account=_lookup(session, Account, Account.username, data.get("account"), "account"),
        speech_speed=speed, is_horizontal=_bool(data.get("is_horizontal", True), "is_horizontal"),
        priority=priority, extra=extra)
    session.add(row)
    session.flush()
    return row


def default_asset_root() -> Path:
    return settings.asset_roots()[0]
