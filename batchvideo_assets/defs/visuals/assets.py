"""`images` and `broll_clips`: one picture per image shot, one stock clip per b-roll shot."""


import hashlib
import json
from collections.abc import Iterator

import dagster as dg
from PIL import Image
from pydantic import Field

from batchvideo_assets.common import SERVICE_RETRY, gpu_placement, spec_of, workdir
from batchvideo_assets.defs.visuals.checks import BROLL_CHECK, IMAGES_CHECK, evaluate_broll, evaluate_images
from batchvideo_assets.partitions import facets_read_by, scripts_partitions
from batchvideo_assets.resources import image_gen_resource
from batchvideo_assets.verdict import report, timed
from batchvideo_media.probe import probe
from batchvideo_resources.image_gen import ImageGenResource
from batchvideo_resources.layout import manifest_key, run_key
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.stock import ClipUsageLog, StockLibraryResource, cut_clip


class RegenerateConfig(dg.Config):
    """Leave `shots` empty to (re)make every shot; list shot indexes to redo only those, keeping the others."""

    shots: list[int] = Field(default_factory=list, description="shot indexes to redo; empty = every shot")
    fresh: bool = Field(default=True, description="redone shots get a new seed (images) or a different clip "
                                                  "(b-roll); false redoes them exactly as recorded")


def _previous(media: MediaStore, partition: str, asset: str) -> dict | None:
    key = manifest_key(partition, asset)
    return json.loads(media.read_bytes(key)) if media.exists(key) else None


def _todo(config: RegenerateConfig, wanted: list[dict], previous: dict | None, field: str,
          media: MediaStore) -> tuple[list[dict], dict, dict]:
    """Shots to (re)make, entries kept from the previous materialization, and the previous entries of
    the shots being redone (so a regenerated shot can differ from what it replaces)."""
    if config.shots:
        unknown = set(config.shots) - {s["index"] for s in wanted}
        if unknown:
            raise dg.Failure(description=f"shots: no such {field} shot(s) {sorted(unknown)}", allow_retries=False)
    kept: dict = {}
    replaced: dict = {}
    old = (previous or {}).get(field, {})
    for shot in wanted:
        entry = old.get(str(shot["index"]))
        if config.shots and shot["index"] not in config.shots and entry and media.exists(entry["key"]):
            kept[str(shot["index"])] = entry
        elif config.shots and config.fresh and entry:
            replaced[str(shot["index"])] = entry
    return [s for s in wanted if str(s["index"]) not in kept], kept, replaced


def base_seed(spec) -> int:
    if spec.extra.seed is not None:
        return int(spec.extra.seed)
    return int(hashlib.sha256(f"batchvideo:{spec.id}".encode()).hexdigest()[:8], 16)


def cover_background_job(spec, out) -> dict | None:
    """The topic's cover picture, generated with the shots (same model, same step) for `cover` to use."""
    if not spec.topic.cover_prompt:
        return None
    return {"index": 0, "prompt": spec.topic.cover_prompt, "keywords": [spec.topic.name],
            "seed": int(spec.extra.seed if spec.extra.seed is not None else spec.id), "out": out}


def build_images_asset(gpu: bool) -> dg.AssetsDefinition:
    """A100 placement and the `gpu` pool exactly when the image backend loads a model into this step's
    process (`flux`); the placeholder and the `http` client (Flux in its own server) need no GPU."""

    @dg.asset(
        name="images", partitions_def=scripts_partitions, deps=facets_read_by("images"), code_version="2",
        group_name="visuals",
        kinds={"png", "diffusers"}, retry_policy=SERVICE_RETRY, check_specs=[IMAGES_CHECK], **gpu_placement(gpu),
        description="One picture per image shot at the video size (Flux in production; labelled placeholder "
                    "locally), and the topic's cover picture when it has a cover prompt. Config `shots: [i, …]` "
                    "regenerates only those shots.",
    )
    def images(context: dg.AssetExecutionContext, config: RegenerateConfig, script: dict, splits: dict,
               image_gen: ImageGenResource, media: MediaStore) -> Iterator[dg.Output[dict] | dg.AssetCheckResult]:
        spec = spec_of(script)
        width, height = spec.size
        wanted = [s for s in splits["shots"] if s["kind"] == "image"]
        previous = _previous(media, context.partition_key, "images")
        todo, kept, replaced = _todo(config, wanted, previous, "images", media)
        seed0 = base_seed(spec)
        lora = (spec.topic.lora_name, spec.topic.lora_weight / 100) if spec.topic.lora_name else None
        entries = dict(kept)

        def seed_for(shot: dict) -> int:
            old = replaced.get(str(shot["index"]))
            return int(old["seed"]) + 1 if old else seed0 + shot["index"]

        with workdir() as tmp:
            jobs = [{"index": s["index"], "prompt": s["prompt"], "keywords": s.get("keywords") or [],
                     "seed": seed_for(s), "out": tmp / f"{s['index']:03d}.png"} for s in todo]
            old_cover = (previous or {}).get("cover_background")
            keep_cover = bool(config.shots and old_cover and media.exists(old_cover["key"]))
            cover_job = None if keep_cover else cover_background_job(spec, tmp / "cover_background.png")
            # The cover picture rides in the shots' batch when it has their size (no h2v canvas).
            same_size = cover_job is not None and spec.canvas == (width, height)
            stats = image_gen.generate(jobs + ([cover_job] if same_size else []), width, height, lora=lora)
            if cover_job is not None and not same_size:
                image_gen.generate([cover_job], *spec.canvas, lora=lora)
            local = {}
            for job in jobs:
                with Image.open(job["out"]) as img:
                    img.verify()
                key = run_key(context.partition_key, context.run_id, f"images/{job['index']:03d}.png")
                entries[str(job["index"])] = {"key": key, "uri": media.put_file(job["out"], key),
                                              "seed": job["seed"], "prompt": job["prompt"]}
                local[str(job["index"])] = job["out"]
            cover_background = old_cover if keep_cover else None
            if cover_job is not None:
                key = run_key(context.partition_key, context.run_id, "images/cover_background.png")
                cover_background = {"key": key, "uri": media.put_file(cover_job["out"], key),
                                    "seed": cover_job["seed"], "prompt": cover_job["prompt"]}
            value = {"images": entries, "model": image_gen.model_name, "width": width, "height": height,
                     "cover_background": cover_background}
            verdict, check_s = timed(lambda: evaluate_images(value, script, splits, media, local=local))
        first = entries[min(entries, key=int)] if entries else None
        yield from report(dg.Output(value, metadata={
            "images": len(entries), "generated": len(todo), "kept": len(kept), "model": image_gen.model_name,
            "regenerated_shots": dg.MetadataValue.json(sorted(int(j["index"]) for j in jobs) if config.shots else []),
            "lora": f"{lora[0]}@{lora[1]:.2f}" if lora else "none", "resolution": f"{width}x{height}",
            "seeds": dg.MetadataValue.json({k: v["seed"] for k, v in entries.items()}),
            "cover_background": "generated" if cover_job else ("kept" if keep_cover else "none"),
            "model_loads": stats["model_loads"] if stats["model_loads"] is not None else "unknown",
            "per_image_s": stats["per_image_s"],
            "first_uri": first["uri"] if first else "",
            "preview": dg.MetadataValue.md(f"![shot]({media.public_url(first['key'])})" if first else "no image shots")}),
            IMAGES_CHECK, verdict, check_s)

    return images


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("broll_clips"), code_version="1", group_name="visuals",
    kinds={"mp4", "ffmpeg"},
    retry_policy=SERVICE_RETRY, check_specs=[BROLL_CHECK],
    description="One stock clip per b-roll shot, matched by keywords, never reused in a video, cut to the shot. "
                "Config `shots: [i, …]` redoes only those shots.",
)
def broll_clips(context: dg.AssetExecutionContext, config: RegenerateConfig, script: dict, splits: dict,
                stock: StockLibraryResource, media: MediaStore) -> Iterator[dg.Output[dict] | dg.AssetCheckResult]:
    spec = spec_of(script)
    width, height = spec.size
    wanted = [s for s in splits["shots"] if s["kind"] == "broll"]
    todo, kept, replaced = _todo(config, wanted, _previous(media, context.partition_key, "broll_clips"), "clips",
                                 media)
    usage = ClipUsageLog(media)
    recent = usage.recent(spec.account.username, exclude_script=context.partition_key, window=stock.recent_videos)
    entries = dict(kept)
    # A redone shot must not get back the clip it replaces; no clip twice in one video.
    used = {e["clip_id"] for e in kept.values()} | {e["clip_id"] for e in replaced.values()}
    reused: list[str] = []
    orientation = "landscape" if width >= height else "portrait"
    local = {}
    with workdir() as tmp:
        for shot in todo:
            duration_s = (shot["end_ms"] - shot["start_ms"]) / 1000
            clip = stock.choose(shot["keywords"], used_in_video=used, recent_uses=recent, orientation=orientation,
                                seed=f"{spec.id}:{shot['index']}", min_duration_s=duration_s)
            if clip["id"] in used:
                reused.append(clip["id"])
                context.log.warning(f"shot {shot['index']}: stock library exhausted, reusing {clip['id']}")
            used.add(clip["id"])
            out = tmp / f"{shot['index']:03d}.mp4"
            cut_clip(stock.fetch(clip), out, duration_s, width, height)
            info = probe(out)
            key = run_key(context.partition_key, context.run_id, f"broll/{shot['index']:03d}.mp4")
            entries[str(shot["index"])] = {"key": key, "uri": media.put_file(out, key), "clip_id": clip["id"],
                                           "source": clip.get("source", ""), "licence": clip.get("licence", ""),
                                           "keywords": shot["keywords"], "duration_s": info.duration_s}
            local[str(shot["index"])] = out
        value = {"clips": entries}
        verdict, check_s = timed(lambda: evaluate_broll(value, script, splits, media, local=local))
    usage.record(spec.account.username, context.partition_key, [e["clip_id"] for e in entries.values()])
    yield from report(dg.Output(value, metadata={
        "clips": len(entries), "cut": len(todo), "kept": len(kept), "library": stock.description,
        "avoided_recent_clips": len(recent), "reused_clips": dg.MetadataValue.json(reused),
        "sources": dg.MetadataValue.json({k: {"clip": v["clip_id"], "source": v["source"], "licence": v["licence"]}
                                          for k, v in entries.items()})}), BROLL_CHECK, verdict, check_s)


@dg.definitions
def visuals_defs() -> dg.Definitions:
    """Built at each load, because GPU placement of `images` follows the configured image backend. (A
    module with a `@dg.definitions` function contributes only what that function returns.)"""
    return dg.Definitions(assets=[build_images_asset(gpu=image_gen_resource().runs_model_in_process), broll_clips])
