"""`digital_human`: lip-synced presenter clips for scripts with `extra.enable_digital_human`.

Value: a `DigitalHumanManifest` — mode "none" | "fullscreen" | "corner" and clips (key, start_ms, end_ms),
each key an H.264 MP4 at the script's video size, without audio, spanning [start_ms, end_ms) of the
narration. `composed_video` shows fullscreen clips instead of the shots they cover, corner clips
picture-in-picture."""

from collections.abc import Iterator

import dagster as dg

from batchvideo_assets.common import SERVICE_RETRY, workdir
from batchvideo_assets.partitions import facets_read_by, scripts_partitions
from batchvideo_assets.verdict import deliver
from batchvideo_resources.layout import run_key
from batchvideo_resources.lipsync import LipSyncResource
from batchvideo_resources.manifests import AudioManifest, DigitalHumanManifest, ScriptManifest, SplitsManifest
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.stages.presenter import make_presenter


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("digital_human"), code_version="1", group_name="visuals",
    kinds={"mp4", "lipsync"},
    retry_policy=SERVICE_RETRY,
    description="Lip-synced presenter clips (fullscreen intro/outro snapped to shots, or one corner clip over "
                "the whole narration) when the script enables the digital human; otherwise mode 'none'. No GPU "
                "here: the lip-sync model runs in its own server (`http`), the placeholder needs none.",
)
def digital_human(context: dg.AssetExecutionContext, script: ScriptManifest, audio: AudioManifest,
                  splits: SplitsManifest, lipsync: LipSyncResource, media: MediaStore
                  ) -> Iterator[dg.Output[DigitalHumanManifest]]:
    with workdir() as tmp:
        value, facts = make_presenter(script.spec, audio, splits, lipsync, media,
                                      lambda name: run_key(context.partition_key, context.run_id, name), tmp)
    yield from deliver(value, facts)
