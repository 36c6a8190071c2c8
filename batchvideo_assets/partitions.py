import dagster as dg

from batchvideo_resources.facets import FACET_READERS

# One partition per row of the `scripts` table; the key is the script ID as a string.
scripts_partitions = dg.DynamicPartitionsDefinition(name="scripts")


def facets_read_by(asset: str) -> list[dg.AssetKey]:
    """The observed facets a stage reads directly (`FACET_READERS`), as its dependencies."""
    return [facet_key(facet) for facet, readers in FACET_READERS.items() if asset in readers]


def facet_key(facet: str) -> dg.AssetKey:
    """The observed scripts-table facet a stage reads (batchvideo_resources.facets)."""
    return dg.AssetKey(["scripts_table", facet])
