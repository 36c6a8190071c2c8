"""The `batchvideo` CLI as a user runs it (subprocess, real SQLite database)."""

import json
import os
import subprocess
import sys

import pytest
from conftest import add
from helpers import path_of, streams
from sqlalchemy import select

from batchvideo_resources.db import Script, session_scope
from batchvideo_resources.db.script_runs import latest_run

BV = [sys.executable, "-m", "batchvideo_app.cli"]


def run(*args, check=True, input=None):
    # Rendered runs go through the instance; in-process steps keep the test's cost to the media work.
    env = {**os.environ, "BATCHVIDEO_EXECUTOR": "in_process"}
    proc = subprocess.run([*BV, *args], capture_output=True, text=True, env=env, input=input, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stdout + proc.stderr)
    return proc


def test_db_upgrade_is_idempotent(prepared_db):
    assert "database at head" in run("db", "upgrade").stdout
    assert "database at head" in run("db", "upgrade").stdout


def test_scripts_add_prints_the_new_id(prepared_db, tmp_path):
    content = tmp_path / "c.txt"
    content.write_text("今天我们聊聊天气。明天会下雨吗？", encoding="utf-8")
    out = run("scripts", "add", "--title", "天气", "--content-file", str(content), "--language", "zh-CN",
              "--vertical", "--speed", "1.3", "--topic", "history", "--extra", '{"h2v": false}').stdout
    script_id = int(out.strip())
    with session_scope(prepared_db) as session:
        row = session.get(Script, script_id)
        assert (row.title, row.is_horizontal, row.speech_speed, row.topic.name, row.language.code) == \
            ("天气", False, 1.3, "history", "zh-CN")


def test_scripts_add_rejects_bad_values(prepared_db, tmp_path):
    content = tmp_path / "c.txt"
    content.write_text("Hello.", encoding="utf-8")
    proc = run("scripts", "add", "--title", "x", "--content-file", str(content), "--speed", "3", check=False)
    assert proc.returncode != 0 and "speech_speed" in proc.stderr
    proc = run("scripts", "add", "--title", "x", "--content-file", str(content), "--language", "qq-QQ", check=False)
    assert proc.returncode != 0 and "language" in proc.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_scripts_import_reports_bad_lines_and_keeps_good_ones(prepared_db, tmp_path, fmt):
    path = tmp_path / f"batch.{fmt}"
    if fmt == "jsonl":
        path.write_text("\n".join([
            json.dumps({"title": "one", "content": "First script.", "language": "en-US"}),
            json.dumps({"title": "two", "content": "   "}),
            "{not json",
            json.dumps({"title": "three", "content": "第三个脚本。", "speech_speed": 0.8, "extra": {"h2v": True}}),
        ]) + "\n", encoding="utf-8")
    else:
        path.write_text("title,content,language,speech_speed\none,First script.,en-US,1.0\n"
                        "two,Second script.,en-US,9\nthree,Third script.,,\n", encoding="utf-8")
    proc = run("scripts", "import", str(path), check=False)
    assert proc.returncode == 1
    ids = [int(x) for x in proc.stdout.split()]
    assert len(ids) == 2
    if fmt == "jsonl":
        assert "batch.jsonl:2: content" in proc.stderr and "batch.jsonl:3: row: invalid JSON" in proc.stderr
    else:  # line numbers are the file's, header included
        assert "batch.csv:3: speech_speed" in proc.stderr
    with session_scope(prepared_db) as session:
        assert [session.get(Script, i).title for i in ids] == ["one", "three"]


def test_render_prints_json_and_fails_bad_rows(prepared_db):
    good = add(prepared_db, title="Short", content="A short English script. It has two sentences.",
               language="en-US", account="plain")
    bad = add(prepared_db, title="Bad speed", content="This row was edited to an impossible speed.")
    with session_scope(prepared_db) as session:
        session.get(Script, bad).speech_speed = 7.5
    proc = run("render", str(good), str(bad), check=False)
    assert proc.returncode == 1
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    by_id = {r["id"]: r for r in lines}
    assert by_id[str(good)]["status"] == "SUCCESS" and by_id[str(good)]["error"] is None
    video = path_of(by_id[str(good)]["outputs"]["logoed_video"])
    assert streams(video, "video") and streams(video, "audio")
    assert len(by_id[str(good)]["outputs"]["images"]) >= 1
    assert by_id[str(bad)]["status"] == "FAILED" and "speech_speed" in by_id[str(bad)]["error"]
    assert by_id[str(bad)]["outputs"] == {}
    assert latest_run(prepared_db, bad).status == "FAILED"
    assert "speech_speed" in latest_run(prepared_db, bad).error


HEAVY = ("dagster", "torch", "diffusers", "transformers", "piper")


def test_database_commands_do_not_import_dagster(prepared_db, tmp_path):
    """The commands that only touch the database load neither Dagster nor a model library (they start
    in a fraction of a second); `-X importtime` lists every module a command imported."""
    rows = tmp_path / "one.jsonl"
    rows.write_text(json.dumps({"title": "t", "content": "One line.", "language": "en-US"}) + "\n")
    for command in (["scripts", "list"], ["scripts", "import", str(rows)], ["languages", "list"],
                    ["accounts", "export"], ["media-root"]):
        proc = subprocess.run([sys.executable, "-X", "importtime", *BV[1:], *command], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        modules = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                   if line.startswith("import time:")}
        assert {"click", "sqlalchemy"} <= modules  # the listing is real
        heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
        assert not heavy, f"`batchvideo {' '.join(command)}` imported {heavy[:5]}"


def test_batch_import_reports_each_bad_line_and_checks_each_file_once(db_url, tmp_path, monkeypatch):
    """1,000 good rows sharing one music file and bad lines spread over several chunks: each bad line is
    reported by itself with its line number, every good row is written in file order, and the shared
    file (and the missing one) is located and decoded once for the whole import."""
    from click.testing import CliRunner

    from batchvideo_app.catalog import default_asset_root, ensure_sample_assets
    from batchvideo_app.cli import main
    from batchvideo_resources import script_spec

    ensure_sample_assets(default_asset_root())
    decoded, located = [], []
    real_check, real_locate = script_spec._check_media, script_spec._locate
    monkeypatch.setattr(script_spec, "_check_media", lambda path, value, *a: (decoded.append(value),
                                                                              real_check(path, value, *a)))
    monkeypatch.setattr(script_spec, "_locate", lambda c, value, *a: (located.append(value),
                                                                      real_locate(c, value, *a))[1])
    bad = {3: ({"speech_speed": 9}, "speech_speed: 9.0 is outside 0.5–2.0"),
           130: ({"account": "nobody"}, "account: unknown account 'nobody'"),
           400: (None, "row: invalid JSON"),
           700: ({"extra": {"bgm": "missing.wav"}}, "extra.bgm: file 'missing.wav' not found"),
           701: ({"extra": {"bgm": "missing.wav"}}, "extra.bgm: file 'missing.wav' not found"),
           1003: ({"language": "xx-XX"}, "language: unknown language 'xx-XX'")}
    lines, good_titles = [], []
    for line_no in range(1, 1008):
        row = {"title": f"row {line_no}", "content": "Rain wears down rocks.", "language": "en-US",
               "account": "demo", "topic": "science", "extra": {"bgm": "bgm.wav"}}
        if line_no == 900:
            lines.append("")  # blank lines are skipped, not errors
        elif line_no in bad:
            change = bad[line_no][0]
            lines.append("{not json" if change is None else json.dumps({**row, **change}))
        else:
            lines.append(json.dumps(row))
            good_titles.append(row["title"])
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = CliRunner().invoke(main, ["scripts", "import", str(path), "--chunk", "128"],
                                env={"BATCHVIDEO_DB_URL": db_url})
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("batch.jsonl:")]
    assert len(errors) == len(bad) + 1 and errors[-1] == f"batch.jsonl: {len(bad)} line(s) skipped"
    for line_no, (_, problem) in bad.items():
        assert any(e.startswith(f"batch.jsonl:{line_no}: {problem}") for e in errors), (line_no, errors)
    ids = [int(x) for x in result.stdout.split()]
    assert len(ids) == len(good_titles) == 1000 and ids == sorted(ids)
    with session_scope(db_url) as session:
        stored = {r.id: r for r in session.scalars(select(Script).where(Script.id.in_(ids)))}
        assert [stored[i].title for i in ids] == good_titles
        assert {(stored[i].account.username, stored[i].topic.name, stored[i].extra["bgm"]) for i in ids} == \
            {("demo", "science", "bgm.wav")}
    assert decoded == ["bgm.wav"]  # one decode for 1,000 rows
    assert located.count("bgm.wav") == 1 and located.count("missing.wav") == 1
