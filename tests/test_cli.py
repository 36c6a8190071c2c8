"""The `batchvideo` CLI as a user runs it (subprocess, real SQLite database; the batch import also on
PostgreSQL, and the input-hygiene checks (issue 22) on both, in-process through click's runner)."""

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


# ------------------------------------------------------------------ input hygiene at the door (issue 22)
def cli(*args, env=None):
    """`batchvideo ARGS` in this process (click's runner: not a terminal)."""
    from click.testing import CliRunner

    from batchvideo_app.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.fixture
def scripts_db(prepared_db, db_url, monkeypatch):
    """The hostile corpus runs on SQLite and on PostgreSQL (conftest.db_url): the CLI in this process, its
    subprocesses and the test's own reads and raw SQL all use that database. (prepared_db: the session's
    sample asset root, which the media checks read.)"""
    monkeypatch.setenv("BATCHVIDEO_DB_URL", db_url)
    return db_url


def test_csv_row_with_a_field_count_unlike_the_header_is_refused(scripts_db, tmp_path):
    path = tmp_path / "shifted.csv"
    path.write_text("title,content,language\none,First script.,en-US\ntwo,Second script.\n"
                    "three,Third,script.,en-US\n\nfour,\"Fourth, quoted\",en-US\n", encoding="utf-8")
    result = cli("scripts", "import", path)
    assert result.exit_code == 1
    assert "shifted.csv:3: row: 2 values for 3 columns" in result.stderr
    assert "shifted.csv:4: row: 4 values for 3 columns" in result.stderr
    ids = [int(x) for x in result.stdout.split()]
    with session_scope(scripts_db) as session:
        assert [(session.get(Script, i).title, session.get(Script, i).language.code) for i in ids] == \
            [("one", "en-US"), ("four", "en-US")]


def test_duplicate_json_keys_are_refused(scripts_db, tmp_path):
    path = tmp_path / "twice.jsonl"
    path.write_text('{"title": "a", "content": "Hello there.", "language": "en-US", "language": "zh-CN"}\n'
                    '{"title": "b", "content": "Hello there.", "extra": {"seed": 1, "seed": 2}}\n', encoding="utf-8")
    result = cli("scripts", "import", path)
    assert result.exit_code == 1 and result.stdout.split() == []
    assert "twice.jsonl:1: language: given twice" in result.stderr
    assert "twice.jsonl:2: seed: given twice" in result.stderr
    content = tmp_path / "c.txt"
    content.write_text("Hello there.", encoding="utf-8")
    result = cli("scripts", "add", "--title", "x", "--content-file", content, "--extra", '{"h2v": true, "h2v": false}')
    assert result.exit_code == 1 and "extra: has the key 'h2v' twice" in result.stderr


def test_an_extra_that_is_not_an_object_says_so(scripts_db, tmp_path):
    """From the CLI and from a raw-SQL row at render time: "must be a JSON object", not "not valid JSON"."""
    from sqlalchemy import text

    from batchvideo_resources.catalog_spec import build_spec
    from batchvideo_resources.db import engine_for
    from batchvideo_resources.script_spec import BadScriptError

    content = tmp_path / "c.txt"
    content.write_text("Hello there.", encoding="utf-8")
    for given, kind in (('"str"', "text"), ("[1, 2]", "an array"), ("7", "a number")):
        result = cli("scripts", "add", "--title", "x", "--content-file", content, "--extra", given)
        assert result.exit_code == 1 and f"extra: must be a JSON object, got {kind}" in result.stderr, result.stderr
    script_id = add(scripts_db, title="raw", content="Hello there.", language="en-US")
    with engine_for(scripts_db).begin() as conn:
        conn.execute(text("UPDATE scripts SET extra = :v WHERE id = :id"), {"v": '"str"', "id": script_id})
    with session_scope(scripts_db) as session, pytest.raises(BadScriptError) as info:
        build_spec(session.get(Script, script_id))
    assert info.value.field == "extra" and info.value.problem == "must be a JSON object, got text"


def test_content_in_a_writing_system_the_language_is_not_written_in_is_refused_at_import(scripts_db, tmp_path):
    path = tmp_path / "scripts.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"title": "zh as en", "content": "雨水慢慢冲刷岩石。河流把盐带进大海。", "language": "en-US"},
        {"title": "mixed", "content": "The word for sea is 海 in Chinese, and the sea is salty.", "language": "en-US"},
        {"title": "en in zh", "content": "我们今天学习 Python 和 SQL。", "language": "zh-CN"},
    ]) + "\n", encoding="utf-8")
    result = cli("scripts", "import", path)
    assert result.exit_code == 1
    assert "scripts.jsonl:1: content: is written in Cjk letters" in result.stderr
    assert len(result.stdout.split()) == 2  # a stray letter, or English words in Chinese, pass
    content = tmp_path / "c.txt"
    content.write_text("Привет, как дела? Сегодня хорошая погода.", encoding="utf-8")
    result = cli("scripts", "add", "--title", "ru", "--content-file", content, "--language", "zh-CN")
    assert result.exit_code == 1 and "content: is written in Cyrillic letters" in result.stderr


def test_degenerate_media_is_refused(scripts_db, tmp_path):
    """A narration WAV without a sample, and a presenter picture too small to hold a face."""
    import wave

    from PIL import Image

    from batchvideo_app.catalog import default_asset_root

    root = default_asset_root()
    with wave.open(str(root / "empty-narration.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(b"")
    Image.new("RGB", (1, 1), (0, 0, 255)).save(root / "dot.png")
    Image.new("RGB", (256, 320), (200, 170, 150)).save(root / "portrait.png")
    content = tmp_path / "c.txt"
    content.write_text("Hello there.", encoding="utf-8")
    result = cli("scripts", "add", "--title", "x", "--content-file", content, "--extra", '{"audio": "empty-narration.wav"}')
    assert result.exit_code == 1 and "extra.audio: 'empty-narration.wav' has no audio samples" in result.stderr
    result = cli("accounts", "add", "tiny-host", "--digital-human", '{"avatar": "dot.png"}')
    assert result.exit_code == 1 and "digital_human.avatar: 'dot.png' is 1×1 pixels" in result.stderr
    result = cli("accounts", "add", "real-host", "--digital-human", '{"avatar": "portrait.png"}')
    assert result.exit_code == 0, result.output


def test_exported_csv_cells_never_evaluate_and_import_reads_them_back(scripts_db, tmp_path):
    values = {"image_prompt": '=HYPERLINK("http://example.invalid","x")', "image_prompt_prefix": "@SUM(1+1)",
              "cover_prompt": "+cmd|' /C calc'!A0"}
    args = [a for field, v in values.items() for a in (f"--{field.replace('_', '-')}", v)]
    assert cli("topics", "add", "formulas", *args).exit_code == 0
    out = tmp_path / "topics.csv"
    assert cli("topics", "export", "formulas", "-o", out).exit_code == 0
    import csv as csv_module

    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv_module.DictReader(fh))
    cells = [cell for row in rows for cell in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    assert rows[0]["image_prompt"] == "'" + values["image_prompt"]
    assert cli("topics", "update", "formulas", "--image-prompt", "plain").exit_code == 0
    assert cli("topics", "import", out).exit_code == 0
    shown = json.loads(cli("topics", "show", "formulas", "--json").stdout)
    assert {k: shown[k] for k in values} == values


def test_control_sequences_never_reach_the_terminal(scripts_db, tmp_path):
    """A title carrying OSC (retitle the terminal), CSI (colours) and C1 controls is listed without them;
    `--json` (data for a program) keeps the exact stored value."""
    import pty

    title = "Sea\x1b]0;pwned\x07 \x1b[31mred\x1b[0m \x9b2J\x9d8;;x\x9c story\x07\r"
    script_id = add(scripts_db, title=title, content="Hello there.", language="en-US")
    listed = cli("scripts", "list", "--limit", "200")
    line = next(ln for ln in listed.stdout.splitlines() if ln.startswith(f"{script_id}\t"))
    assert line.endswith("\tSea red  story"), repr(line)
    data = json.loads(cli("scripts", "list", "--limit", "200", "--json").stdout)
    assert next(item["title"] for item in data if item["id"] == script_id) == title.strip()
    # On a terminal (a pseudo-terminal here), even --json output carries no control sequence.
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*BV, "scripts", "list", "--limit", "200", "--json"], stdout=follower,
                            stderr=subprocess.PIPE)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    seen = b"".join(chunks).decode("utf-8")
    assert proc.returncode == 0 and str(script_id) in seen
    assert not [ch for ch in seen if ord(ch) < 32 and ch not in "\r\n\t" or 0x7f <= ord(ch) <= 0x9f], repr(seen[:200])


def test_lora_names_stay_inside_the_lora_folder(scripts_db, tmp_path, monkeypatch):
    from batchvideo_resources.image_gen import ImageGenResource

    for name in ("/etc/passwd", "../escape", "a/b"):
        result = cli("topics", "add", f"lora-{abs(hash(name))}", "--lora-name", name, "--lora-weight", "50")
        assert result.exit_code == 1 and f"lora_name: {name!r} is not a LoRA name" in result.stderr, result.stderr
    loras = tmp_path / "loras"
    loras.mkdir()
    (loras / "inside.safetensors").write_bytes(b"weights")
    (loras / "out.safetensors").symlink_to("/etc/hostname")
    (tmp_path / "beside.safetensors").write_bytes(b"weights")
    monkeypatch.setenv("BATCHVIDEO_IMAGE_BACKEND", "flux")
    monkeypatch.setenv("BATCHVIDEO_LORA_DIR", str(loras))
    assert cli("topics", "add", "lora-ok", "--lora-name", "inside").exit_code == 0
    result = cli("topics", "add", "lora-out", "--lora-name", "out")
    assert result.exit_code == 1 and "LoRA 'out' not found" in result.stderr
    images = ImageGenResource(lora_dir=str(loras))
    assert images._lora_source("inside") == str(loras / "inside.safetensors")
    for name in ("/etc/passwd", "../beside", "out"):
        with pytest.raises(FileNotFoundError):
            images._lora_source(name)


def test_render_in_process_prints_one_line_for_a_bad_row_and_no_traceback(scripts_db):
    bad = add(scripts_db, title="Bad speed", content="This row was edited to an impossible speed.")
    with session_scope(scripts_db) as session:
        session.get(Script, bad).speech_speed = 7.5
    proc = run("render", "--in-process", str(bad), check=False)
    assert proc.returncode == 1
    (line,) = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    assert line["status"] == "FAILED" and "speech_speed" in line["error"]
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output and "Stack Trace" not in output, output[-2000:]
