"""Facet observations of a script partition: written by the scripts sensor for an edit, by `batchvideo
render` for what it renders, and by the `script` step for the facets it read (so a first render records
its baseline without the sensor writing four events per new row). Outside `defs/`: the application and
the code location share it."""

import dagster as dg
from sqlalchemy import select

from batchvideo_assets.dagster_compat import DATA_VERSION_TAG
from batchvideo_assets.partitions import facet_key
from batchvideo_resources.database import DatabaseResource
from batchvideo_resources.db import Script
from batchvideo_resources.facets import FACET_READERS, FACETS, facet_digests


def facet_observations(key: str, digests: dict[str, str], facets=FACETS) -> list[dg.AssetObservation]:
    """The observations that record these facet digests of a script partition (data version = digest)."""
    return [dg.AssetObservation(asset_key=facet_key(f), partition=key, tags={DATA_VERSION_TAG: digests[f]})
            for f in sorted(facets)]


def latest_observed(instance: dg.DagsterInstance, keys: list[str]) -> dict[str, dict[str, str]]:
    """Per script key, facet → the digest last observed: two queries per facet for any number of keys."""
    seen: dict[str, dict[str, str]] = {}
    if not keys:
        return seen
    for facet in FACETS:
        ids = instance.get_latest_storage_id_by_partition(facet_key(facet), dg.DagsterEventType.ASSET_OBSERVATION,
                                                          set(keys))
        if not ids:
            continue
        records = instance.fetch_observations(
            dg.AssetRecordsFilter(asset_key=facet_key(facet), storage_ids=list(ids.values())), limit=len(ids)).records
        for record in records:
            observation = record.asset_observation
            seen.setdefault(observation.partition, {})[facet] = observation.tags.get(DATA_VERSION_TAG)
    return seen


def current_facets(session, script_id: int) -> dict[str, str] | None:
    """Digests of the stored row's facets, or None when the row cannot be read (its render then fails
    alone, naming the field)."""
    try:
        row = session.get(Script, script_id)
        return facet_digests(row) if row is not None else None
    except Exception:  # noqa: BLE001 - any unreadable value: render everything and let the run name it
        session.rollback()
        return None


def load_rows(session, script_ids: list[int]) -> dict[int, Script]:
    """The rows with their language, voice, topic and account, in one round of queries; empty when one
    of them cannot be read, and each row is then read alone."""
    from sqlalchemy.orm import selectinload

    try:
        query = (select(Script).where(Script.id.in_(script_ids))
                 .options(*(selectinload(getattr(Script, r)) for r in ("language", "voice", "topic", "account"))))
        return {row.id: row for row in session.scalars(query)}
    except Exception:  # noqa: BLE001 - a value raw SQL made unreadable: fall back to row by row
        session.rollback()
        return {}


def digests_of(session, script_ids: list[int]) -> dict[str, dict[str, str] | None]:
    loaded = load_rows(session, script_ids) if script_ids else {}
    return {str(i): facet_digests(loaded[i]) if i in loaded else current_facets(session, i) for i in script_ids}


def stages_to_render(graph, changed: set[str]) -> list[dg.AssetKey] | None:
    """The stages an edit of `changed` facets affects (their readers and everything downstream, plus
    the `script` snapshot they all read); None means every stage."""
    if "narration" in changed or graph is None:
        return None
    readers = {dg.AssetKey(asset) for facet in changed for asset in FACET_READERS[facet]}
    selected = dg.AssetSelection.assets(*readers).downstream().resolve(graph) | {dg.AssetKey("script")}
    return sorted(selected, key=lambda k: k.to_user_string())


def observe_facets(instance: dg.DagsterInstance, db: DatabaseResource, script_ids: list[int],
                   graph=None) -> dict[str, list[dg.AssetKey] | None]:
    """Record the current facets of these scripts (the UI then shows the stages an account or topic edit
    made stale) and return, per script, the stages to render again (`stages_to_render`); scripts
    with no changed facet are left out."""
    keys = [str(i) for i in script_ids]
    previous = latest_observed(instance, keys)
    with db.session() as session:
        digests = digests_of(session, script_ids)
    selections, events = {}, []
    for key in keys:
        current, seen = digests[key], previous.get(key, {})
        changed = set(FACETS) if current is None else {f for f in FACETS if seen.get(f) != current[f]}
        if current is not None:
            events += facet_observations(key, current, changed)
        if changed:
            selections[key] = stages_to_render(graph, changed)
    for event in events:
        instance.report_runless_asset_event(event)
    return selections
