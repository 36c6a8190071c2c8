"""What each stage records about what it made: the schema of every asset's value.

Each asset's value is a small JSON manifest stored at `layout.manifest_key(script, asset)` next to
the media it describes. These models are that storage contract: the IO manager validates every
value against its model when a stage writes it and again when the next stage reads it, so a
misspelt or missing field fails the stage that produced it, not a stage three steps later. Values
travel between stages as these models (assets take and return them), and are stored as their
JSON-shaped dump (`model_dump(mode="json")`, see `manifest_json`); a stored manifest is read back
with `load_manifest`.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict

from batchvideo_resources.script_spec import ScriptSpec


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoredFile(Manifest):
    """A file in the media store: its key (layout) and stable URI (file:// or s3://)."""

    key: str
    uri: str


class ScriptManifest(Manifest):
    spec: ScriptSpec
    digest: str  # everything that changes the video, referenced files' stamps included
    facets: dict[str, str] = {}  # facet → digest of its stored values (batchvideo_resources.facets)
    revision: int | None = None  # the row's revision this snapshot read (scripts.revision)


class WordTiming(Manifest):
    text: str
    start_ms: int
    end_ms: int


class SpokenCue(Manifest):
    """One subtitle cue as narrated: its text, what the TTS was given, and when it is spoken."""

    text: str
    spoken: str
    start_ms: int
    end_ms: int
    words: list[WordTiming] = []


class SentenceTiming(Manifest):
    text: str
    start_ms: int
    end_ms: int
    cues: list[SpokenCue] = []  # empty in manifests written before cue-level timing


class AudioManifest(StoredFile):
    duration_ms: int
    sentences: list[SentenceTiming]
    pause_ms: int
    source: str


class Cue(Manifest):
    index: int
    start_ms: int
    end_ms: int
    text: str
    words: list[WordTiming] = []


class SrtManifest(StoredFile):
    cues: list[Cue]


class Shot(Manifest):
    index: int
    start_ms: int
    end_ms: int
    text: str
    prompt: str
    keywords: list[str]
    kind: Literal["image", "broll"]


class SplitsManifest(StoredFile):
    shots: list[Shot]
    prompt_source: Literal["template", "llm"]
    min_shot_s: float


class ImageEntry(StoredFile):
    seed: int
    prompt: str


class ImagesManifest(Manifest):
    images: dict[str, ImageEntry]  # shot index → picture
    model: str
    width: int
    height: int
    # The topic's cover picture (topic.cover_prompt) at the canvas size, generated with the shots.
    cover_background: ImageEntry | None = None


class ClipEntry(StoredFile):
    clip_id: str
    source: str
    licence: str
    keywords: list[str]
    duration_s: float


class BrollManifest(Manifest):
    clips: dict[str, ClipEntry]  # shot index → stock clip cut to the shot


class PresenterClip(Manifest):
    key: str
    start_ms: int
    end_ms: int


class DigitalHumanManifest(Manifest):
    mode: Literal["none", "fullscreen", "corner"]
    clips: list[PresenterClip]


class ComposedVideoManifest(StoredFile):
    duration_s: float
    integrated_lufs: float
    # Black / frozen stretches (seconds) seen on the encoded frames; a logoed copy has the same ones.
    black_s: list[tuple[float, float]] = []
    frozen_s: list[tuple[float, float]] = []


class LogoedVideoManifest(StoredFile):
    note: str


class CoverManifest(StoredFile):
    title: str


MANIFESTS: dict[str, type[Manifest]] = {
    "script": ScriptManifest, "audio": AudioManifest, "srt": SrtManifest, "splits": SplitsManifest,
    "images": ImagesManifest, "broll_clips": BrollManifest, "digital_human": DigitalHumanManifest,
    "composed_video": ComposedVideoManifest, "logoed_video": LogoedVideoManifest, "cover": CoverManifest,
}


def validated(asset: str, value: dict | Manifest) -> Manifest:
    """The value as its stage's model, checked field by field; raises pydantic.ValidationError naming
    the field. A model instance is checked again from its fields: models do not validate assignment,
    so a stage that changed a field after building it still fails here, not downstream (from the same
    JSON-shaped dump that is stored, so what is checked is what the next stage reads)."""
    model = MANIFESTS[asset]
    if isinstance(value, Manifest) and not isinstance(value, model):
        raise TypeError(f"{asset}: expected a {model.__name__}, got a {type(value).__name__}")
    return model.model_validate(value.model_dump(mode="json") if isinstance(value, Manifest) else value)


def manifest_json(asset: str, value: dict | Manifest) -> bytes:
    """What is stored for a stage's value: its JSON-shaped dump, as every stored manifest has been."""
    return json.dumps(validated(asset, value).model_dump(mode="json"), ensure_ascii=False, indent=1).encode()


def load_manifest(asset: str, data: bytes | str) -> Manifest:
    """A stored manifest (bytes or text of `manifest_json`) as its stage's model."""
    return MANIFESTS[asset].model_validate_json(data)
