"""`splits`: the storyboard — cues merged into shots, each with an image prompt, keywords and kind."""


from collections.abc import Iterator

import dagster as dg

from batchvideo_assets.common import SERVICE_RETRY
from batchvideo_assets.defs.storyboard.checks import SPLITS_CHECK, evaluate_splits
from batchvideo_assets.partitions import facets_read_by, scripts_partitions
from batchvideo_assets.verdict import deliver
from batchvideo_resources.layout import run_manifest_key
from batchvideo_resources.llm import LLMResource
from batchvideo_resources.manifests import AudioManifest, ScriptManifest, SplitsManifest, SrtManifest
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.stages.storyboard import plan_storyboard, splits_facts


class SplitsConfig(dg.Config):
    min_shot_s: float = 7.0


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("splits"), code_version="1",
    group_name="storyboard", kinds={"json", "openai"},
    retry_policy=SERVICE_RETRY, check_specs=[SPLITS_CHECK],
    description="Storyboard: cues merged into shots of ≥ min_shot_s, each with an image prompt, keywords and kind.",
)
def splits(context: dg.AssetExecutionContext, config: SplitsConfig, script: ScriptManifest, audio: AudioManifest,
           srt: SrtManifest, llm: LLMResource, media: MediaStore
           ) -> Iterator[dg.Output[SplitsManifest] | dg.AssetCheckResult]:
    board = plan_storyboard(script.spec, srt.cues, audio.duration_ms, config.min_shot_s, llm, media)
    if board.llm_problem:
        context.log.warning(f"LLM prompts unusable, using templates: {board.llm_problem}")
    # The storyboard is this asset's manifest itself (written by the IO manager), not a second copy.
    key = run_manifest_key(context.partition_key, context.run_id, "splits")
    value = SplitsManifest(key=key, uri=media.uri(key), shots=board.shots, prompt_source=board.prompt_source,
                           min_shot_s=config.min_shot_s)
    yield from deliver(value, splits_facts(value, board, llm.model_name), SPLITS_CHECK,
                       lambda: evaluate_splits(value, audio))
