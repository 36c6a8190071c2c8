"""`images` and `broll_clips`: one picture per image shot, one stock clip per b-roll shot; a partial
redo (`shots: [i, …]`) remakes only those shots and keeps the others as stored."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from PIL import Image

from batchvideo_media.probe import probe
from batchvideo_resources.image_gen import ImageGenResource
from batchvideo_resources.manifests import (
    BrollManifest,
    ClipEntry,
    ImageEntry,
    ImagesManifest,
    Shot,
    SplitsManifest,
    StoredFile,
)
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.script_spec import BadScriptError, ScriptSpec
from batchvideo_resources.stages import KeyFor, Markdown
from batchvideo_resources.stock import ClipUsageLog, StockLibraryResource, cut_clip

Entry = TypeVar("Entry", bound=StoredFile)


@dataclass
class Redo(Generic[Entry]):
    """Which shots a run makes, and what it keeps from the stage's previous manifest."""

    todo: list[Shot]
    kept: dict[str, Entry]  # shot index → entry kept as stored (not asked to be redone)
    replaced: dict[str, Entry]  # previous entries of the shots being redone fresh (to differ from them)


def redo_plan(wanted: list[Shot], previous: dict[str, Entry], redo: list[int], fresh: bool,
              exists: Callable[[str], bool], what: str) -> Redo[Entry]:
    """Every wanted shot when `redo` is empty; else only the listed ones, keeping the others' stored
    entries (a kept entry whose file is gone is made again). An index that is not a wanted shot is a
    bad request, named."""
    if redo:
        unknown = set(redo) - {s.index for s in wanted}
        if unknown:
            raise BadScriptError("shots", f"no such {what} shot(s) {sorted(unknown)}")
    kept: dict[str, Entry] = {}
    replaced: dict[str, Entry] = {}
    for shot in wanted:
        entry = previous.get(str(shot.index))
        if redo and shot.index not in redo and entry and exists(entry.key):
            kept[str(shot.index)] = entry
        elif redo and fresh and entry:
            replaced[str(shot.index)] = entry
    return Redo([s for s in wanted if str(s.index) not in kept], kept, replaced)


def base_seed(spec: ScriptSpec) -> int:
    if spec.extra.seed is not None:
        return int(spec.extra.seed)
    return int(hashlib.sha256(f"batchvideo:{spec.id}".encode()).hexdigest()[:8], 16)


def image_jobs(spec: ScriptSpec, plan: Redo[ImageEntry], folder: Path) -> list[dict]:
    """`image_gen.generate` jobs for the shots to make. A shot's seed is the script's base seed plus its
    index; a shot redone fresh takes the seed after the one it replaces, so it differs."""
    seed0 = base_seed(spec)

    def seed_for(shot: Shot) -> int:
        old = plan.replaced.get(str(shot.index))
        return old.seed + 1 if old else seed0 + shot.index

    return [{"index": s.index, "prompt": s.prompt, "keywords": s.keywords or [], "seed": seed_for(s),
             "out": folder / f"{s.index:03d}.png"} for s in plan.todo]


def cover_background_job(spec: ScriptSpec, out: Path) -> dict | None:
    """The topic's cover picture, generated with the shots (same model, same step) for `cover` to use."""
    if not spec.topic.cover_prompt:
        return None
    return {"index": 0, "prompt": spec.topic.cover_prompt, "keywords": [spec.topic.name],
            "seed": int(spec.extra.seed if spec.extra.seed is not None else spec.id), "out": out}


@dataclass
class Made(Generic[Entry]):
    """A visuals stage's manifest, the files it has just written (shot index → path, checked from
    there instead of fetched back) and its metadata."""

    value: ImagesManifest | BrollManifest
    local: dict[str, Path] = field(default_factory=dict)
    facts: dict = field(default_factory=dict)


def make_images(spec: ScriptSpec, splits: SplitsManifest, previous: ImagesManifest | None, redo: list[int],
                fresh: bool, image_gen: ImageGenResource, media: MediaStore, key_for: KeyFor, tmp: Path) -> Made:
    """Generate (and store) the pictures of the image shots to make, and the topic's cover picture
    unless a partial redo keeps the stored one."""
    width, height = spec.size
    plan = redo_plan([s for s in splits.shots if s.kind == "image"], previous.images if previous else {}, redo,
                     fresh, media.exists, "images")
    lora = (spec.topic.lora_name, spec.topic.lora_weight / 100) if spec.topic.lora_name else None
    jobs = image_jobs(spec, plan, tmp)
    old_cover = previous.cover_background if previous else None
    keep_cover = bool(redo and old_cover and media.exists(old_cover.key))
    cover_job = None if keep_cover else cover_background_job(spec, tmp / "cover_background.png")
    # The cover picture rides in the shots' batch when it has their size (no h2v canvas).
    same_size = cover_job is not None and spec.canvas == (width, height)
    stats = image_gen.generate(jobs + ([cover_job] if same_size else []), width, height, lora=lora)
    if cover_job is not None and not same_size:
        image_gen.generate([cover_job], *spec.canvas, lora=lora)

    def stored(job: dict, name: str) -> ImageEntry:
        key = key_for(f"images/{name}.png")
        return ImageEntry(key=key, uri=media.put_file(job["out"], key), seed=job["seed"], prompt=job["prompt"])

    entries = dict(plan.kept)
    for job in jobs:
        with Image.open(job["out"]) as img:
            img.verify()
        entries[str(job["index"])] = stored(job, f"{job['index']:03d}")
    cover_background = stored(cover_job, "cover_background") if cover_job else (old_cover if keep_cover else None)
    value = ImagesManifest(images=entries, model=image_gen.model_name, width=width, height=height,
                           cover_background=cover_background)
    first = entries[min(entries, key=int)] if entries else None
    facts = {
        "images": len(entries), "generated": len(plan.todo), "kept": len(plan.kept), "model": image_gen.model_name,
        "regenerated_shots": sorted(int(j["index"]) for j in jobs) if redo else [],
        "lora": f"{lora[0]}@{lora[1]:.2f}" if lora else "none", "resolution": f"{width}x{height}",
        "seeds": {k: v.seed for k, v in entries.items()},
        "cover_background": "generated" if cover_job else ("kept" if keep_cover else "none"),
        "model_loads": stats["model_loads"] if stats["model_loads"] is not None else "unknown",
        "per_image_s": stats["per_image_s"], "first_uri": first.uri if first else "",
        "preview": Markdown(f"![shot]({media.public_url(first.key)})" if first else "no image shots")}
    return Made(value, {str(j["index"]): j["out"] for j in jobs}, facts)


def make_broll(spec: ScriptSpec, splits: SplitsManifest, previous: BrollManifest | None, redo: list[int],
               fresh: bool, stock: StockLibraryResource, media: MediaStore, script_id: str, key_for: KeyFor,
               tmp: Path, warn: Callable[[str], None]) -> Made:
    """Choose, cut (and store) a stock clip for each b-roll shot to make: matched by keywords, never
    twice in one video, avoiding the account's recent videos' clips; then record this video's clips."""
    width, height = spec.size
    plan = redo_plan([s for s in splits.shots if s.kind == "broll"], previous.clips if previous else {}, redo,
                     fresh, media.exists, "clips")
    usage = ClipUsageLog(media)
    recent = usage.recent(spec.account.username, exclude_script=script_id, window=stock.recent_videos)
    entries = dict(plan.kept)
    # A redone shot must not get back the clip it replaces; no clip twice in one video.
    used = {e.clip_id for e in plan.kept.values()} | {e.clip_id for e in plan.replaced.values()}
    reused: list[str] = []
    local: dict[str, Path] = {}
    for shot in plan.todo:
        duration_s = (shot.end_ms - shot.start_ms) / 1000
        clip = stock.choose(shot.keywords, used_in_video=used, recent_uses=recent,
                            orientation="landscape" if width >= height else "portrait",
                            seed=f"{spec.id}:{shot.index}", min_duration_s=duration_s)
        if clip["id"] in used:
            reused.append(clip["id"])
            warn(f"shot {shot.index}: stock library exhausted, reusing {clip['id']}")
        used.add(clip["id"])
        out = local[str(shot.index)] = tmp / f"{shot.index:03d}.mp4"
        cut_clip(stock.fetch(clip), out, duration_s, width, height)
        key = key_for(f"broll/{shot.index:03d}.mp4")
        entries[str(shot.index)] = ClipEntry(key=key, uri=media.put_file(out, key), clip_id=clip["id"],
                                             source=clip.get("source", ""), licence=clip.get("licence", ""),
                                             keywords=shot.keywords, duration_s=probe(out).duration_s)
    usage.record(spec.account.username, script_id, [e.clip_id for e in entries.values()])
    facts = {"clips": len(entries), "cut": len(plan.todo), "kept": len(plan.kept), "library": stock.description,
             "avoided_recent_clips": len(recent), "reused_clips": reused,
             "sources": {k: {"clip": v.clip_id, "source": v.source, "licence": v.licence} for k, v in entries.items()}}
    return Made(BrollManifest(clips=entries), local, facts)
