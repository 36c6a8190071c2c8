"""Check of `splits`: the shots cover the narration exactly."""


from batchvideo_assets.verdict import Verdict, check_spec
from batchvideo_resources.manifests import AudioManifest, SplitsManifest

SPLITS_CHECK = check_spec("splits", "shots_cover_narration",
                          "Shots start at 0, are contiguous and end exactly where the narration ends.")


def evaluate_splits(splits: SplitsManifest, audio: AudioManifest) -> Verdict:
    verdict = Verdict()
    shots = splits.shots
    audio_ms = audio.duration_ms
    if not shots:
        verdict.fail("storyboard has no shots")
        return verdict
    if shots[0].start_ms != 0:
        verdict.fail(f"first shot starts at {shots[0].start_ms} ms, not 0")
    for i, shot in enumerate(shots):
        if shot.index != i:
            verdict.fail(f"shot {i} has index {shot.index}")
        if shot.kind not in ("image", "broll"):
            verdict.fail(f"shot {i} has kind {shot.kind!r}")
        if shot.end_ms <= shot.start_ms:
            verdict.fail(f"shot {i} is empty ({shot.start_ms}–{shot.end_ms} ms)")
    for a, b in zip(shots, shots[1:]):
        if a.end_ms != b.start_ms:
            verdict.fail(f"gap or overlap between shot {a.index} (ends {a.end_ms} ms) and shot "
                         f"{b.index} (starts {b.start_ms} ms)")
    if abs(shots[-1].end_ms - audio_ms) > 1:
        verdict.fail(f"last shot ends at {shots[-1].end_ms} ms but the narration lasts {audio_ms} ms")
    if shots[0].kind == "broll":
        verdict.fail("the first shot is b-roll")
    kinds = [s.kind for s in shots]
    verdict.facts.update({"shots": len(shots), "image_shots": kinds.count("image"),
                          "broll_shots": kinds.count("broll"), "covered_ms": shots[-1].end_ms,
                          "audio_ms": audio_ms})
    return verdict
