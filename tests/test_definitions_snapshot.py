"""A snapshot of the asset graph under the embedded defaults, so any change to it shows up in review.

Keys, groups, kinds, partitions, dependencies, checks, op tags, pools, code versions, sensors and jobs
are compared with `tests/snapshots/definitions.json`. After an intended change, regenerate it with
`UPDATE_SNAPSHOTS=1 make test-fast` and commit the diff."""

import json
import os
from pathlib import Path

import dagster as dg

from batchvideo_assets.definitions import build_definitions

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def describe(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        spec = defs.resolve_assets_def(key).specs_by_key[key]
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(spec.kinds or []),
            "partitions": node.partitions_def.name if node.partitions_def else None,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "code_version": node.code_version,
            "pools": sorted(node.pools or []),
            "executable": node.is_executable,
            "op_tags": sorted((defs.resolve_assets_def(key).op.tags or {}).keys()) if node.is_executable else [],
            "checks": sorted(f"{spec.name}{' (blocking)' if spec.blocking else ''}"
                             for spec in map(graph.get_check_spec, graph.get_check_keys_for_assets({key}))),
        }
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
        "sensors": sorted(s.name for s in defs.sensors or []),
        "resources": sorted((defs.resources or {}).keys()),
    }


def to_text(snapshot: dict) -> str:
    """One line per field, lists kept on their line: a graph change reads as a one-line diff."""
    def dump(value, indent=0):
        pad = " " * indent
        if isinstance(value, dict):
            inner = ",\n".join(f'{pad}  {json.dumps(k)}: {dump(v, indent + 2)}' for k, v in value.items())
            return "{\n" + inner + "\n" + pad + "}"
        return json.dumps(value, ensure_ascii=False)

    return dump(snapshot) + "\n"


def test_definitions_match_the_snapshot():
    current = describe(build_definitions())
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(to_text(current))
    assert current == json.loads(SNAPSHOT.read_text()), "definitions changed: see the diff, then UPDATE_SNAPSHOTS=1"
