"""What every stage check shares: the verdict type, the check spec, reporting and file access.

Each stage asset declares its check (`check_spec`, partitioned like the asset, blocking) and evaluates
it in its own step on the files it has just written, so a bad output stops the run at that stage (the
run fails, the write-back row says FAILED with the check's description) instead of flowing into the
finished video, without a step (a process, a pod) per check. The measurements live in
`batchvideo_media.analysis`; the thin `evaluate_*` functions beside each stage's assets call them and
fill a Verdict. Given no local file they fetch it from the media store, so tests can run them on
broken artifacts too.
"""

import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from batchvideo_assets.partitions import scripts_partitions
from batchvideo_media.analysis import Findings
from batchvideo_resources.manifests import Manifest
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.stages import Link, Markdown


@dataclass
class Verdict(Findings):
    """Findings of a check (empty problems = passed), reported to Dagster with the facts as metadata."""

    def result(self, spec: dg.AssetCheckSpec, seconds: float) -> dg.AssetCheckResult:
        meta = {**self.facts, "check_s": round(seconds, 3)}
        if self.problems:
            meta["problems"] = dg.MetadataValue.md("\n".join(f"- {p}" for p in self.problems[:20]))
        return dg.AssetCheckResult(
            asset_key=spec.asset_key, check_name=spec.name, passed=self.passed,
            severity=dg.AssetCheckSeverity.ERROR, metadata=meta,
            description="; ".join(self.problems[:5])[:1000] if self.problems else "ok")


def check_spec(asset: str, name: str, description: str) -> dg.AssetCheckSpec:
    """The blocking check a stage asset declares (`check_specs=[…]`) and evaluates in its own step."""
    with warnings.catch_warnings():  # partitioned checks are a Dagster preview feature
        warnings.simplefilter("ignore")
        return dg.AssetCheckSpec(name=name, asset=asset, description=description, blocking=True,
                                 partitions_def=scripts_partitions)


def timed(evaluate: Callable[[], Verdict]) -> tuple[Verdict, float]:
    """The verdict and the seconds it took (reported as the check's `check_s`)."""
    started = time.perf_counter()
    verdict = evaluate()
    return verdict, time.perf_counter() - started


def report(output: dg.Output, spec: dg.AssetCheckSpec, verdict: Verdict, seconds: float
           ) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """What a checked stage yields: its output, then its check's result; a failed check then fails the
    step as well, which puts the problem (not just the check's name) into the run's error and the
    script_runs row, and stops everything downstream."""
    yield output
    result = verdict.result(spec, seconds)
    yield result
    if not result.passed:
        raise dg.Failure(description=f"{spec.asset_key.path[-1]} check {spec.name} failed: {result.description}",
                         allow_retries=False)


def metadata_values(facts: dict) -> dict:
    """A stage's facts as Dagster metadata: text marked Markdown or Link shown as such, lists and dicts
    as JSON, everything else as Dagster infers it."""
    def value(v):
        if isinstance(v, Markdown):
            return dg.MetadataValue.md(str(v))
        if isinstance(v, Link):
            return dg.MetadataValue.url(str(v))
        if isinstance(v, (list, dict)):
            return dg.MetadataValue.json(v)
        return v

    return {k: value(v) for k, v in facts.items()}


def deliver(value: Manifest, facts: dict, check: dg.AssetCheckSpec | None = None,
            evaluate: Callable[[], Verdict] | None = None, data_version: dg.DataVersion | None = None
            ) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """What every stage yields: its manifest with its facts as metadata, then (for a checked stage) its
    check's verdict, evaluated here (`evaluate`, timed) on what the stage has just written."""
    output = dg.Output(value, metadata=metadata_values(facts), data_version=data_version)
    if check is None:
        yield output
        return
    verdict, seconds = timed(evaluate)
    yield from report(output, check, verdict, seconds)


def local_copy(media: MediaStore, key: str, tmp: Path, verdict: Verdict, what: str,
               local: Path | None = None) -> Path | None:
    """`local` (the file the stage has just written) when given, else the stored file fetched to `tmp`."""
    if local is not None:
        return local
    if not key or not media.exists(key):
        verdict.fail(f"{what}: {key or '(no key)'} is missing from the media store")
        return None
    try:
        return media.local_path(key, tmp)
    except (OSError, FileNotFoundError) as exc:
        verdict.fail(f"{what}: {key} cannot be read ({exc})")
        return None
