"""`audio`, `srt`: narration with exact cue timings, and the subtitles cut from them."""


import time
from collections.abc import Iterator

import dagster as dg

from batchvideo_assets.common import SERVICE_RETRY, workdir
from batchvideo_assets.defs.speech.checks import AUDIO_CHECK, SRT_CHECK, evaluate_audio, evaluate_srt
from batchvideo_assets.partitions import scripts_partitions
from batchvideo_assets.verdict import deliver
from batchvideo_resources.asr import ASRResource
from batchvideo_resources.layout import run_key
from batchvideo_resources.manifests import AudioManifest, ScriptManifest, SrtManifest
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.stages.speech import audio_facts, audio_manifest, narrate, srt_facts, subtitle_track
from batchvideo_resources.tts import TTSResource


@dg.asset(
    partitions_def=scripts_partitions, code_version="1", group_name="speech", kinds={"wav", "tts"},
    retry_policy=SERVICE_RETRY, check_specs=[AUDIO_CHECK],
    description="Narration WAV: one synthesis per subtitle cue joined with pauses, so every cue switch is "
                "timed from the audio; the manifest holds each cue's timing, spoken form and word times.",
)
def audio(context: dg.AssetExecutionContext, script: ScriptManifest, tts: TTSResource, asr: ASRResource,
          media: MediaStore) -> Iterator[dg.Output[AudioManifest] | dg.AssetCheckResult]:
    """No GPU here whatever the TTS backend: a neural TTS runs in its own model server (`http`)."""
    spec = script.spec
    started = time.perf_counter()
    with workdir() as tmp:
        out = tmp / "audio.wav"
        narration = narrate(spec, tts, asr, out, tmp / "pieces")
        key = run_key(context.partition_key, context.run_id, "audio.wav")
        value = audio_manifest(narration, key, media.put_file(out, key))
        facts = audio_facts(value, spec, narration, time.perf_counter() - started, out.stat().st_size)
        yield from deliver(value, facts, AUDIO_CHECK,
                           lambda: evaluate_audio(value, media, supplied=bool(spec.extra.audio), local=out))


@dg.asset(
    partitions_def=scripts_partitions, code_version="1", group_name="speech", kinds={"srt"},
    check_specs=[SRT_CHECK],
    description="SubRip subtitles: the audio manifest's cues, each timed from the speech; word times for "
                "karaoke highlighting ride along in the manifest.",
)
def srt(context: dg.AssetExecutionContext, script: ScriptManifest, audio: AudioManifest, media: MediaStore
        ) -> Iterator[dg.Output[SrtManifest] | dg.AssetCheckResult]:
    text, cues = subtitle_track(audio, script.spec)
    key = run_key(context.partition_key, context.run_id, "subtitle.srt")
    data = text.encode("utf-8")
    value = SrtManifest(key=key, uri=media.put_bytes(data, key), cues=cues)
    yield from deliver(value, srt_facts(value, script.spec), SRT_CHECK,
                       lambda: evaluate_srt(value, script, audio, media, data=data))
