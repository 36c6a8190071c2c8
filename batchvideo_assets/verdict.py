"""What every stage check shares: the verdict type, the blocking-check decorator and file access.

Each check is partitioned like its asset and blocking, so a bad output stops the run at that
stage (the run fails, the write-back row says FAILED with the check's description) instead of
flowing into the finished video. The measurements live in `batchvideo_media.analysis`; the thin
`evaluate_*` functions beside each stage's assets fetch the files from the media store, call them
and fill a Verdict, so tests can run them on broken artifacts too. A check function takes the media
store as a typed resource parameter (`media: MediaStore`), like an asset.
"""

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from batchvideo_assets.partitions import scripts_partitions
from batchvideo_media.analysis import Findings
from batchvideo_resources.media_store import MediaStore


@dataclass
class Verdict(Findings):
    """Findings of a check (empty problems = passed), reported to Dagster with the facts as metadata."""

    def result(self) -> dg.AssetCheckResult:
        meta = dict(self.facts)
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
                partitions_def=scripts_partitions,
                additional_ins={a: dg.AssetIn(a) for a in additional})(run)
    return decorate

