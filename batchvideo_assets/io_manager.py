"""Asset values are small JSON manifests (URIs, timings, shots) kept beside the media they describe."""


import json

import dagster as dg

from batchvideo_resources.layout import manifest_key
from batchvideo_resources.manifests import validated
from batchvideo_resources.media_store import MediaStore


class ManifestIOManager(dg.ConfigurableIOManager):
    """Stores each asset's value as `jobs/<id>/manifests/<asset>.json` in the media store, so every
    executor (in-process, multiprocess, k8s pods) reads the same state without pickles. Values are
    validated against their manifest model (`batchvideo_resources.manifests`) on write and on read."""

    media: MediaStore

    def _key(self, context: dg.OutputContext | dg.InputContext) -> str:
        return manifest_key(context.asset_partition_key, context.asset_key.path[-1])

    def handle_output(self, context: dg.OutputContext, obj: dict) -> None:
        if obj is None:
            return
        value = validated(context.asset_key.path[-1], obj)
        self.media.put_bytes(json.dumps(value, ensure_ascii=False, indent=1).encode(), self._key(context))

    def load_input(self, context: dg.InputContext) -> dict:
        return validated(context.asset_key.path[-1], json.loads(self.media.read_bytes(self._key(context))))
