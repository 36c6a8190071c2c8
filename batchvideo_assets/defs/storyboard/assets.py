"""`splits`: the storyboard — cues merged into shots, each with an image prompt, keywords and kind."""


from collections.abc import Iterator

import dagster as dg

from batchvideo_assets.common import SERVICE_RETRY, spec_of
from batchvideo_assets.defs.storyboard.checks import SPLITS_CHECK, evaluate_splits
from batchvideo_assets.partitions import facets_read_by, scripts_partitions
from batchvideo_assets.verdict import report, timed
from batchvideo_media import storyboard
from batchvideo_resources.layout import run_manifest_key
from batchvideo_resources.llm import LLMAnswerError, LLMResource, StoreCache
from batchvideo_resources.media_store import MediaStore


class SplitsConfig(dg.Config):
    min_shot_s: float = 7.0


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("splits"), code_version="1",
    group_name="storyboard", kinds={"json", "openai"},
    retry_policy=SERVICE_RETRY, check_specs=[SPLITS_CHECK],
    description="Storyboard: cues merged into shots of ≥ min_shot_s, each with an image prompt, keywords and kind.",
)
def splits(context: dg.AssetExecutionContext, config: SplitsConfig, script: dict, audio: dict, srt: dict,
           llm: LLMResource, media: MediaStore) -> Iterator[dg.Output[dict] | dg.AssetCheckResult]:
    from datetime import timedelta

    import srt as srtlib

    spec = spec_of(script)
    cues = [srtlib.Subtitle(c["index"], timedelta(milliseconds=c["start_ms"]), timedelta(milliseconds=c["end_ms"]),
                            c["text"]) for c in srt["cues"]]
    shots = storyboard.group_cues(cues, audio["duration_ms"], round(config.min_shot_s * 1000))
    prompt_source = "template"
    descriptions = None
    llm_problem = None
    if llm.configured:
        try:
            # Cached in the media store, so a re-run (any worker, any pod) does not pay again.
            descriptions = llm.describe_shots([s.text for s in shots], spec.topic.image_prompt,
                                              cache=StoreCache(media))
            prompt_source = "llm"
        except LLMAnswerError as exc:  # the model answers but unusably: the storyboard still gets made
            llm_problem = str(exc)
            context.log.warning(f"LLM prompts unusable, using templates: {exc}")
    fallback_words = [w for w in (spec.topic.name, *spec.topic.image_prompt.split()) if w.isascii()]
    for i, shot in enumerate(shots):
        text_keywords = storyboard.keywords_from_text(shot.text, fallback_words)
        if descriptions:
            body = descriptions[i]["prompt"]
            shot.prompt = ", ".join(p for p in (spec.topic.image_prompt_prefix.strip(), body) if p)
            shot.keywords = storyboard.clean_keywords(descriptions[i]["keywords"], text_keywords)
        else:
            shot.prompt = storyboard.template_prompt(shot.text, spec.topic.image_prompt_prefix, spec.topic.image_prompt)
            shot.keywords = text_keywords
    storyboard.assign_kinds(shots, spec.broll_ratio, seed=f"{spec.id}")
    data = {"shots": [s.to_dict() for s in shots], "prompt_source": prompt_source, "min_shot_s": config.min_shot_s}
    # The storyboard is this asset's manifest itself (written by the IO manager), not a second copy.
    key = run_manifest_key(context.partition_key, context.run_id, "splits")
    uri = media.uri(key)
    kinds = [s.kind for s in shots]
    value = {**data, "key": key, "uri": uri}
    verdict, check_s = timed(lambda: evaluate_splits(value, audio))
    yield from report(dg.Output(value, metadata={
        "shots": len(shots), "image_shots": kinds.count("image"), "broll_shots": kinds.count("broll"),
        "prompt_source": prompt_source, "llm_model": llm.model_name, "uri": uri,
        **({"llm_problem": llm_problem} if llm_problem else {}),
        "storyboard": dg.MetadataValue.md("\n".join(
            f"{s.index + 1}. [{s.kind}] {s.start_ms / 1000:.1f}–{s.end_ms / 1000:.1f}s {s.text[:60]}" for s in shots))}),
        SPLITS_CHECK, verdict, check_s)
