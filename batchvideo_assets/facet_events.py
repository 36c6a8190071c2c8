"""Facet observations of a script partition: written by the scripts sensor for an edit, and by the
`script` step for the facets it read (so a first render records its baseline without the sensor
writing four events per new row)."""

import dagster as dg

from batchvideo_assets.dagster_compat import DATA_VERSION_TAG
from batchvideo_assets.partitions import facet_key
from batchvideo_resources.facets import FACETS


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


