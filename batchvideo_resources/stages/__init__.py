"""What each stage makes, as functions of its inputs: the script's spec, the upstream stages' manifest
models and the resources it calls. The assets in `batchvideo_assets.defs` only read their inputs,
call one of these, and hand the manifest, its metadata and its check to Dagster; so every stage's
logic can be called (and tested) without a Dagster run.

Metadata comes back as plain values; text meant to be shown as Markdown or as a link is marked with
`Markdown` / `Link`, which the assets' shared helper turns into Dagster's metadata kinds."""

from __future__ import annotations

from collections.abc import Callable

from batchvideo_resources.manifests import Manifest, load_manifest
from batchvideo_resources.media_store import MediaStore

# A stage's run-scoped key for a file it writes (`layout.run_key` bound to the script and run).
KeyFor = Callable[[str], str]


class Markdown(str):
    """Metadata text shown as Markdown."""


class Link(str):
    """Metadata text shown as a link."""


def previous_manifest(media: MediaStore, key: str, asset: str) -> Manifest | None:
    """The stage's last stored manifest, so a partial redo can keep what it does not remake."""
    return load_manifest(asset, media.read_bytes(key)) if media.exists(key) else None
