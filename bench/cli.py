"""Benchmark of the CLI's front door: `batchvideo scripts import` throughput and database-only start time.

Measured in one run, on SQLite and on PostgreSQL (skipped when --pg is not reachable):
- import: `batchvideo scripts import` of --rows generated text rows (English and Chinese, references to
  languages/voices/topics/accounts, half of them naming the same background music file), as a user runs
  it (a subprocess, start-up included); rows/s = rows ÷ wall time (median of --import-repeat), and rows
  per CPU second of the command (on a busy machine, what an idle one's wall time approaches; the
  database server's own CPU is not in it);
- baseline: the previous import path on a sample of the same rows (one `add_script` per row, each in its
  own transaction, settings read and files decoded per row), so the ratio compares like with like;
- start: median wall and CPU time of `batchvideo scripts list --limit 1` and `batchvideo languages list`
  against `python -c pass`, and the number of Dagster/torch modules those commands import (must be 0).

The last line printed is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HEAVY = ("dagster", "torch", "diffusers", "transformers", "piper")


def write_rows(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(count):
            if i % 2:
                row = {"title": f"Why the sea is salty {i}", "language": "en-US", "voice": "default",
                       "topic": "science", "account": "demo", "extra": {"bgm": "bgm.wav", "seed": i},
                       "content": "Rain wears down rocks. Rivers carry the salt to the sea, and the sun "
                                  "takes the water back. " * 3}
            else:
                row = {"title": f"海水为什么是咸的 {i}", "language": "zh-CN", "topic": "history", "account": "plain",
                       "content": "雨水慢慢冲刷岩石。河流把盐带进大海，阳光又把水带走。" * 3, "priority": i % 7}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def cli(env: dict, *args: str, flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *flags, "-m", "batchvideo_app.cli", *args], env=env,
                          capture_output=True, text=True, timeout=3600)


def prepare(url: str) -> None:
    from batchvideo_app.catalog import default_asset_root, ensure_sample_assets, seed_reference_data
    from batchvideo_resources.db import session_scope, upgrade

    upgrade(url)
    with session_scope(url) as session:
        seed_reference_data(session)
    ensure_sample_assets(default_asset_root())


def count_scripts(url: str) -> int:
    from sqlalchemy import func, select

    from batchvideo_resources.db import Script, session_scope

    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(Script))


def bench_import(url: str, env: dict, rows_file: Path, rows: int, repeat: int) -> dict:
    """Median of `repeat` imports of the whole file (each adds `rows` rows), wall and CPU time of the
    command (CPU: its user + system seconds, what an idle machine's wall time approaches)."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = count_scripts(url)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = cli({**env, "BATCHVIDEO_DB_URL": url}, "scripts", "import", str(rows_file))
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"import failed: {proc.stderr[-2000:]}")
        added = count_scripts(url) - before
        assert added == rows == len(proc.stdout.split()), (added, rows)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return {"rows": rows, "wall_s": round(wall, 2), "rows_per_s": round(rows / wall, 1), "cpu_s": round(cpu, 2),
            "rows_per_cpu_s": round(rows / cpu, 1)}


def bench_baseline(url: str, rows_file: Path, sample: int) -> dict:
    """The import as it was: every row validated, looked up and committed on its own."""
    from batchvideo_app.catalog import add_script
    from batchvideo_resources.db import session_scope

    records = [json.loads(line) for line in rows_file.read_text(encoding="utf-8").splitlines()[:sample]]
    os.environ["BATCHVIDEO_DB_URL"] = url
    try:
        start = time.perf_counter()
        for record in records:
            with session_scope(url) as session:
                add_script(session, record)
        wall = time.perf_counter() - start
    finally:
        del os.environ["BATCHVIDEO_DB_URL"]
    return {"rows": sample, "wall_s": round(wall, 2), "rows_per_s": round(sample / wall, 1)}


def heavy_modules(env: dict, *args: str) -> list[str]:
    proc = cli(env, *args, flags=("-X", "importtime"))
    names = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    return sorted(n for n in names if n.split(".")[0] in HEAVY)


def median_wall(cmd: list[str], env: dict, repeat: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of `cmd`."""
    walls, cpus = [], []
    for _ in range(repeat):
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True, timeout=120)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime)
    return round(statistics.median(walls), 3), round(statistics.median(cpus), 3)


def pg_database(admin: str) -> tuple[str, callable] | None:
    from sqlalchemy import create_engine, text

    name = f"batchvideo_bench_{uuid.uuid4().hex[:8]}"
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: that half is skipped
        print(f"postgresql skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        return None

    def drop() -> None:
        from batchvideo_resources.db import engine_for

        for url in list(_opened):
            engine_for(url).dispose()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    url = admin.rsplit("/", 1)[0] + f"/{name}"
    _opened.append(url)
    return url, drop


_opened: list[str] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--baseline-rows", type=int, default=100, help="rows timed on the old per-row path")
    parser.add_argument("--repeat", type=int, default=5, help="start-time samples per command")
    parser.add_argument("--import-repeat", type=int, default=3, help="imports of the whole file per database")
    parser.add_argument("--pg", default=os.environ.get("BATCHVIDEO_BENCH_PG",
                                                       "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="batchvideo-bench-cli-"))
    os.environ["BATCHVIDEO_DATA_DIR"] = str(work / "data")
    os.environ.pop("BATCHVIDEO_DB_URL", None)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    rows_file = work / "rows.jsonl"
    write_rows(rows_file, args.rows)
    result: dict = {"rows": args.rows}

    targets = [("sqlite", f"sqlite:///{work / 'data' / 'bench.db'}", None)]
    pg = pg_database(args.pg)
    if pg:
        targets.append(("postgresql", pg[0], pg[1]))
    try:
        for name, url, _ in targets:
            prepare(url)
            imported = bench_import(url, env, rows_file, args.rows, args.import_repeat)
            baseline = bench_baseline(url, rows_file, args.baseline_rows)
            imported["x_baseline"] = round(imported["rows_per_s"] / baseline["rows_per_s"], 1)
            result[name] = {"import": imported, "baseline_per_row": baseline}
            print(f"{name}: import {imported['rows']} rows in {imported['wall_s']} s = {imported['rows_per_s']} "
                  f"rows/s ({imported['cpu_s']} CPU s = {imported['rows_per_cpu_s']} rows per CPU second); previous per-row path {baseline['rows_per_s']} rows/s on {baseline['rows']} rows "
                  f"({imported['x_baseline']}x)")

        sqlite_env = {**env, "BATCHVIDEO_DB_URL": targets[0][1]}
        baseline = median_wall([sys.executable, "-c", "pass"], env, args.repeat)
        start = {"python -c pass": baseline[0], "python -c pass cpu": baseline[1]}
        for command in (["scripts", "list", "--limit", "1"], ["languages", "list"]):
            shown = " ".join(command)
            start[shown], start[f"{shown} cpu"] = median_wall([sys.executable, "-m", "batchvideo_app.cli", *command],
                                                              sqlite_env, args.repeat)
            heavy = heavy_modules(sqlite_env, *command)
            start[f"{shown}: heavy modules"] = len(heavy)
            print(f"start: `batchvideo {shown}` {start[shown]} s wall, {start[f'{shown} cpu']} s CPU (python -c pass "
                  f"{baseline[0]} s, {baseline[1]} s CPU), imports {len(heavy)} Dagster/torch modules"
                  f"{': ' + ', '.join(heavy[:5]) if heavy else ''}")
        result["start_s"] = start
    finally:
        for _, _, drop in targets:
            if drop:
                drop()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
