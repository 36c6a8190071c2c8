"""`splits`: the storyboard — subtitle cues merged into shots, each with an image prompt, keywords and kind."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

import srt as srtlib

from batchvideo_media import storyboard
from batchvideo_resources.llm import LLMAnswerError, LLMResource, StoreCache
from batchvideo_resources.manifests import Cue, Shot, SplitsManifest
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.script_spec import ScriptSpec
from batchvideo_resources.stages import Markdown


@dataclass
class Storyboard:
    shots: list[Shot]
    prompt_source: str  # "llm" when the model's descriptions were used, else "template"
    llm_problem: str | None = None  # why the model's answer was not used, when it answered unusably


def plan_storyboard(spec: ScriptSpec, cues: list[Cue], duration_ms: int, min_shot_s: float,
                    llm: LLMResource | None = None, media: MediaStore | None = None) -> Storyboard:
    """Cues grouped into shots of ≥ min_shot_s covering the narration; each shot's image prompt and
    stock keywords from the LLM when one is configured (answers cached in `media`, so a re-run on any
    worker does not pay again), else from templates; then image or b-roll by the script's ratio."""
    subtitles = [srtlib.Subtitle(c.index, timedelta(milliseconds=c.start_ms), timedelta(milliseconds=c.end_ms),
                                 c.text) for c in cues]
    shots = storyboard.group_cues(subtitles, duration_ms, round(min_shot_s * 1000))
    descriptions, problem = None, None
    if llm is not None and llm.configured:
        try:
            descriptions = llm.describe_shots([s.text for s in shots], spec.topic.image_prompt,
                                              cache=StoreCache(media) if media is not None else None)
        except LLMAnswerError as exc:  # the model answers but unusably: the storyboard still gets made
            problem = str(exc)
    fallback_words = [w for w in (spec.topic.name, *spec.topic.image_prompt.split()) if w.isascii()]
    for i, shot in enumerate(shots):
        text_keywords = storyboard.keywords_from_text(shot.text, fallback_words)
        if descriptions:
            shot.prompt = ", ".join(p for p in (spec.topic.image_prompt_prefix.strip(), descriptions[i]["prompt"]) if p)
            shot.keywords = storyboard.clean_keywords(descriptions[i]["keywords"], text_keywords)
        else:
            shot.prompt = storyboard.template_prompt(shot.text, spec.topic.image_prompt_prefix, spec.topic.image_prompt)
            shot.keywords = text_keywords
    storyboard.assign_kinds(shots, spec.broll_ratio, seed=f"{spec.id}")
    return Storyboard([Shot(**asdict(s)) for s in shots], "llm" if descriptions is not None else "template", problem)


def splits_facts(splits: SplitsManifest, board: Storyboard, llm_model: str) -> dict:
    kinds = [s.kind for s in splits.shots]
    return {
        "shots": len(splits.shots), "image_shots": kinds.count("image"), "broll_shots": kinds.count("broll"),
        "prompt_source": splits.prompt_source, "llm_model": llm_model, "uri": splits.uri,
        **({"llm_problem": board.llm_problem} if board.llm_problem else {}),
        "storyboard": Markdown("\n".join(f"{s.index + 1}. [{s.kind}] {s.start_ms / 1000:.1f}–{s.end_ms / 1000:.1f}s "
                                         f"{s.text[:60]}" for s in splits.shots))}
