"""What every stage check shares: the verdict type, the blocking-check decorator and file access.

Each check is partitioned like its asset and blocking, so a bad output stops the run at that
stage (the run fails, the write-back row says FAILED with the check's description) instead of
flowing into the finished video. The verification logic lives in plain `evaluate_*` functions
beside each stage's assets; they take the asset values and the media store, so tests can run
them on broken artifacts too.
"""

import functools
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from batchvideo_assets.partitions import scripts_partitions
from batchvideo_media.probe import MediaError, probe, run_ffmpeg
from batchvideo_resources.media_store import MediaStore

TARGET_LUFS = -14.0
LOUDNESS_TOLERANCE_LU = 1.0
DURATION_TOLERANCE_MS = 100
AUDIO_TIMING_TOLERANCE_MS = 5
# The narration ends with a short tail of silence after the last sentence (join_wavs lead_ms);
# anything longer means the stored timings do not describe the file.
MAX_TAIL_MS = 400
SILENT_DB = -60.0
BLACK_MIN_S = 1.0          # a black stretch this long is a broken render (transitions are 0.5 s)
FREEZE_MIN_S = 3.0         # stills pan continuously, so a frozen image shot is a broken render
FREEZE_NOISE_DB = -60
SHOT_EDGE_S = 0.6          # transitions blur shot boundaries by up to this much
TITLE_RGB = (255, 230, 90)  # render_cover draws the title in this colour on a darkened band
TITLE_MIN_FRACTION = 0.002


@dataclass
class Verdict:
    """Problems found (empty = passed) and metadata for the UI."""

    problems: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems

    def fail(self, problem: str) -> None:
        self.problems.append(problem)

    def result(self) -> dg.AssetCheckResult:
        meta = dict(self.metadata)
        if self.problems:
            meta["problems"] = dg.MetadataValue.md("\n".join(f"- {p}" for p in self.problems[:20]))
        return dg.AssetCheckResult(
            passed=self.passed, severity=dg.AssetCheckSeverity.ERROR, metadata=meta,
            description="; ".join(self.problems[:5])[:1000] if self.problems else "ok")


def local_copy(media: MediaStore, key: str, tmp: Path, verdict: Verdict, what: str) -> Path | None:
    if not key or not media.exists(key):
        verdict.fail(f"{what}: {key or '(no key)'} is missing from the media store")
        return None
    try:
        return media.local_path(key, tmp)
    except (OSError, FileNotFoundError) as exc:
        verdict.fail(f"{what}: {key} cannot be read ({exc})")
        return None


def probe_or_fail(path: Path, verdict: Verdict, what: str):
    try:
        return probe(path)
    except MediaError as exc:
        verdict.fail(f"{what} does not decode: {str(exc)[-200:]}")
        return None


def max_volume_db(path: Path) -> float:
    log = run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"], loglevel="info")
    match = re.search(r"max_volume:\s*(-?[\d.]+|-inf) dB", log)
    if not match or match.group(1) == "-inf":
        return float("-inf")
    return float(match.group(1))



def stage_check(asset: str, name: str, description: str, additional: tuple[str, ...] = ()):
    def decorate(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            result: dg.AssetCheckResult = fn(*args, **kwargs)
            yield result
            if not result.passed:
                # Recorded as a failed check above; failing the step as well puts the problem (not
                # just the check's name) into the run's error and the script_runs row.
                raise dg.Failure(description=f"{asset} check {name} failed: {result.description}",
                                 allow_retries=False)

        with warnings.catch_warnings():  # partitioned checks are a Dagster preview feature
            warnings.simplefilter("ignore")
            return dg.asset_check(
                asset=asset, name=name, description=description, blocking=True,
                partitions_def=scripts_partitions, required_resource_keys={"media"},
                additional_ins={a: dg.AssetIn(a) for a in additional})(run)
    return decorate

