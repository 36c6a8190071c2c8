"""Asset values are small JSON manifests (URIs, timings, shots) kept beside the media they describe."""


import dagster as dg

from batchvideo_resources.layout import manifest_key, run_manifest_key
from batchvideo_resources.manifests import Manifest, load_manifest, manifest_json
from batchvideo_resources.media_store import MediaStore


class ManifestIOManager(dg.ConfigurableIOManager):
    """Stores each asset's value as `jobs/<id>/manifests/<asset>.json` (and the run's own copy, see
    `batchvideo_resources.layout`) in the media store, so every
    executor (in-process, multiprocess, k8s pods) reads the same state without pickles. Values are
    the stage's manifest model (`batchvideo_resources.manifests`): validated on write, and loaded
    (validated again) as that model on read."""

    media: MediaStore

    def _key(self, context: dg.OutputContext | dg.InputContext) -> str:
        return manifest_key(context.asset_partition_key, context.asset_key.path[-1])

    def handle_output(self, context: dg.OutputContext, obj: Manifest | None) -> None:
        if obj is None:
            return
        asset = context.asset_key.path[-1]
        data = manifest_json(asset, obj)
        # The run's own copy is what gets published when the whole run succeeds; the latest copy is
        # what the next stage (or a re-execution) reads.
        self.media.put_bytes(data, run_manifest_key(context.asset_partition_key, context.run_id, asset))
        self.media.put_bytes(data, self._key(context))

    def load_input(self, context: dg.InputContext) -> Manifest:
        return load_manifest(context.asset_key.path[-1], self.media.read_bytes(self._key(context)))
