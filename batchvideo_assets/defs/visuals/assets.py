"""`images` and `broll_clips`: one picture per image shot, one stock clip per b-roll shot."""


from collections.abc import Iterator

import dagster as dg
from pydantic import Field

from batchvideo_assets.common import SERVICE_RETRY, bad_input_is_final, gpu_placement, workdir
from batchvideo_assets.defs.visuals.checks import BROLL_CHECK, IMAGES_CHECK, evaluate_broll, evaluate_images
from batchvideo_assets.partitions import facets_read_by, scripts_partitions
from batchvideo_assets.resources import image_gen_resource
from batchvideo_assets.verdict import deliver
from batchvideo_resources.image_gen import ImageGenResource
from batchvideo_resources.layout import manifest_key, run_key
from batchvideo_resources.manifests import BrollManifest, ImagesManifest, ScriptManifest, SplitsManifest
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.stages import previous_manifest
from batchvideo_resources.stages.visuals import make_broll, make_images
from batchvideo_resources.stock import StockLibraryResource


class RegenerateConfig(dg.Config):
    """Leave `shots` empty to (re)make every shot; list shot indexes to redo only those, keeping the others."""

    shots: list[int] = Field(default_factory=list, description="shot indexes to redo; empty = every shot")
    fresh: bool = Field(default=True, description="redone shots get a new seed (images) or a different clip "
                                                  "(b-roll); false redoes them exactly as recorded")


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
    def images(context: dg.AssetExecutionContext, config: RegenerateConfig, script: ScriptManifest,
               splits: SplitsManifest, image_gen: ImageGenResource, media: MediaStore
               ) -> Iterator[dg.Output[ImagesManifest] | dg.AssetCheckResult]:
        previous = previous_manifest(media, manifest_key(context.partition_key, "images"), "images")
        with workdir() as tmp, bad_input_is_final():  # a shot index that is no image shot is a bad request
            made = make_images(script.spec, splits, previous, config.shots, config.fresh, image_gen, media,
                               lambda name: run_key(context.partition_key, context.run_id, name), tmp)
            yield from deliver(made.value, made.facts, IMAGES_CHECK,
                               lambda: evaluate_images(made.value, script, splits, media, local=made.local))

    return images


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("broll_clips"), code_version="1", group_name="visuals",
    kinds={"mp4", "ffmpeg"},
    retry_policy=SERVICE_RETRY, check_specs=[BROLL_CHECK],
    description="One stock clip per b-roll shot, matched by keywords, never reused in a video, cut to the shot. "
                "Config `shots: [i, …]` redoes only those shots.",
)
def broll_clips(context: dg.AssetExecutionContext, config: RegenerateConfig, script: ScriptManifest,
                splits: SplitsManifest, stock: StockLibraryResource, media: MediaStore
                ) -> Iterator[dg.Output[BrollManifest] | dg.AssetCheckResult]:
    previous = previous_manifest(media, manifest_key(context.partition_key, "broll_clips"), "broll_clips")
    with workdir() as tmp, bad_input_is_final():  # a shot index that is no b-roll shot is a bad request
        made = make_broll(script.spec, splits, previous, config.shots, config.fresh, stock, media,
                          context.partition_key, lambda name: run_key(context.partition_key, context.run_id, name),
                          tmp, context.log.warning)
        yield from deliver(made.value, made.facts, BROLL_CHECK,
                           lambda: evaluate_broll(made.value, script, splits, media, local=made.local))


@dg.definitions
def visuals_defs() -> dg.Definitions:
    """Built at each load, because GPU placement of `images` follows the configured image backend. (A
    module with a `@dg.definitions` function contributes only what that function returns.)"""
    return dg.Definitions(assets=[build_images_asset(gpu=image_gen_resource().runs_model_in_process), broll_clips])
