"""The parts of a script that different stages depend on, and a digest of each from the stored row.

An edit re-renders only what it affects: the narration (text, language, voice, speed, orientation)
changes everything; the visual style (topic, b-roll ratio, seed) the storyboard, pictures, clips and
after; the presentation (subtitle style, font, transitions, music, presenter) the composition and
after; the branding (logo, watermark, titles) only the delivered video and its cover. The scripts
sensor observes these digests per script and the `script` asset records the narration digest as its
data version, so the Dagster UI shows exactly the affected stages as stale. Digests are taken from
the stored values (no files are read), so the sensor can compute them cheaply for every edit.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

FACETS = ("narration", "visual_style", "presentation", "branding")
NARRATION = FACETS[0]  # the facet every stage reads: `script`'s data version is its digest
# Stages that read a facet directly (and so are stale as soon as it changes); their downstream
# stages follow through ordinary data-version lineage.
FACET_READERS = {
    "narration": ("script",),
    "visual_style": ("splits", "images", "broll_clips", "cover"),
    "presentation": ("digital_human", "composed_video", "cover"),
    "branding": ("logoed_video", "cover"),
}
_SCRIPT_EXTRA = {
    "narration": ("audio", "h2v", "traditional_subtitle"),
    "visual_style": ("broll_ratio", "seed"),
    "presentation": ("bgm", "enable_digital_human", "index_text", "title_text", "desc_text"),
}


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:16]


def _columns(row: Any, names: tuple[str, ...]) -> dict:
    return {n: getattr(row, n) for n in names} if row is not None else None


def facet_values(row: Any) -> dict[str, dict]:
    """The stored values each facet covers, from a `scripts` ORM row and its related rows."""
    extra = row.extra if isinstance(row.extra, dict) else {"_unreadable": str(row.extra)}
    account = row.account
    account_extra = dict(account.extra or {}) if account is not None and isinstance(account.extra, dict) else {}
    watermark = account_extra.pop("watermark", None)

    def script_extra(facet: str) -> dict:
        return {k: extra.get(k) for k in _SCRIPT_EXTRA[facet]}

    return {
        "narration": {
            "content": row.content, "speech_speed": row.speech_speed, "is_horizontal": row.is_horizontal,
            "language_id": row.language_id, "voice_id": row.voice_id,
            "language": _columns(row.language, ("code", "tts_voice", "square")),
            "voice": _columns(row.voice, ("name", "backend", "reference_audio")),
            "extra": script_extra("narration"),
        },
        "visual_style": {
            "topic_id": row.topic_id,
            "topic": _columns(row.topic, ("name", "image_prompt", "image_prompt_prefix", "cover_prompt", "lora_name",
                                          "lora_weight", "broll_ratio", "extra")),
            "extra": script_extra("visual_style"),
        },
        "presentation": {
            "account_id": row.account_id,
            "account": (_columns(account, ("subtitle_background", "font", "enable_transition", "transition_types",
                                           "digital_human")) or {}) | {"extra": account_extra},
            "extra": script_extra("presentation"),
        },
        "branding": {
            "account_id": row.account_id, "title": row.title, "publish_title": row.publish_title,
            "description": row.description, "logo": account.logo if account is not None else None,
            "watermark": watermark,
        },
    }


def facet_digests(row: Any) -> dict[str, str]:
    return {facet: _digest(values) for facet, values in facet_values(row).items()}
