"""The `batchvideo` CLI as a user runs it (subprocess, real SQLite database)."""

import json
import os
import subprocess
import sys

import pytest
from conftest import add
from helpers import path_of, streams

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
