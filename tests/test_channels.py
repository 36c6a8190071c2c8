"""`batchvideo accounts|topics|voices|languages` as a studio runs its channels (SQLite and PostgreSQL).

Every command is run against both databases; values go through the tables' validation models, so each
rule is tried with a bad value (refused naming the field, nothing written), and the render applies the
same models to rows written around the CLI."""

import csv
import json
import shutil
import traceback
import uuid
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from conftest import add
from helpers import path_of, streams
from sqlalchemy import select

from batchvideo_app.catalog import TABLES, default_asset_root, ensure_sample_assets
from batchvideo_app.cli import main
from batchvideo_resources.catalog_spec import build_spec
from batchvideo_resources.db import Account, Script, Topic, session_scope
from batchvideo_resources.db.script_runs import latest_run
from batchvideo_resources.script_spec import BadScriptError

# A valid row per table, as CLI options, using files under the asset root.
VALID = {
    "languages": ("it-IT", ["--name", "Italian", "--tts-voice", "it"]),
    "voices": ("narrator", ["--reference-audio", "bgm.wav", "--backend", "http"]),
    "topics": ("ink", ["--image-prompt", "ink wash painting", "--lora-name", "ink", "--lora-weight", "70",
                       "--broll-ratio", "0.25"]),
    "accounts": ("north", ["--logo", "logo.png", "--font", "DejaVu Sans", "--subtitle-background", "#2E86C1",
                           "--enable-transition", "true", "--transition-types", "fade,wipeleft",
                           "--extra", '{"watermark": "North"}']),
}
# An update per table: the option and the value it must store.
CHANGE = {"languages": ("--name", "Italiano"), "voices": ("--backend", "espeak"),
          "topics": ("--broll-ratio", "0.5"), "accounts": ("--subtitle-background", "#112233")}


def unique(key: str) -> str:
    """Keys differ per test: the PostgreSQL database is shared by the whole session."""
    return f"{key}-{uuid.uuid4().hex[:6]}"


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(url, *args, check=True, env=None):
    """`batchvideo ARGS` in this process, through click's runner: the same command group as the
    installed entry point (`tests/test_cli.py` runs that as a subprocess), without a Python start and
    the imports per command."""
    result = CliRunner().invoke(main, [str(a) for a in args], env={"BATCHVIDEO_DB_URL": url, **(env or {})},
                                catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError("".join(traceback.format_exception(result.exception)))
    proc = Ran(result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    if check and proc.returncode != 0:
        raise AssertionError(proc.stdout + proc.stderr)
    return proc


@pytest.fixture(scope="module")
def assets():
    """Sample logo and music, plus a file that has the right name but does not decode."""
    root = default_asset_root()
    ensure_sample_assets(root)
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (root / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt nope")
    (root / "bgm.txt").write_text("The words of the reference clip.", encoding="utf-8")  # a cloned voice's transcript
    shutil.copy(root / "bgm.wav", root / "untranscribed.wav")
    return root


def rows(url, table):
    model = TABLES[table].model
    with session_scope(url) as session:
        return {getattr(r, TABLES[table].key): r for r in session.scalars(select(model))}


@pytest.mark.parametrize("table", list(VALID))
def test_add_list_show_update_delete(db_url, assets, table):
    key, options = unique(VALID[table][0]), VALID[table][1]
    key_field = TABLES[table].key
    assert run(db_url, table, "add", key, *options).stdout.strip() == f"added {TABLES[table].noun} {key!r}"

    listed = {r[key_field]: r for r in json.loads(run(db_url, table, "list", "--json").stdout)}
    assert listed[key]["scripts"] == 0
    assert key in run(db_url, table, "list").stdout
    shown = json.loads(run(db_url, table, "show", key, "--json").stdout)
    stored = rows(db_url, table)[key]
    assert {f: getattr(stored, f) for f in TABLES[table].fields} == {f: shown[f] for f in TABLES[table].fields}
    if table == "accounts":
        assert (stored.logo, stored.transition_types, stored.extra, stored.enable_transition) == \
            ("logo.png", ["fade", "wipeleft"], {"watermark": "North"}, True)

    option, value = CHANGE[table]
    field = option[2:].replace("-", "_")
    out = run(db_url, table, "update", key, option, value).stdout
    assert f"updated {TABLES[table].noun} {key!r}: {field}" in out and "no scripts use it" in out
    assert str(getattr(rows(db_url, table)[key], field)) == value

    deleted = run(db_url, table, "delete", key).stdout
    assert deleted.strip() == f"deleted {TABLES[table].noun} {key!r}"
    assert rows(db_url, table)[key].deleted_at is not None
    assert key not in {r[key_field] for r in json.loads(run(db_url, table, "list", "--json").stdout)}
    # adding the key again brings the row back with the new values
    assert run(db_url, table, "add", key, *options).stdout.startswith("restored")
    assert rows(db_url, table)[key].deleted_at is None


def test_delete_is_refused_while_scripts_use_it(db_url, assets):
    busy = unique("busy")
    run(db_url, "accounts", "add", busy, "--logo", "logo.png")
    script_id = add(db_url, title="Uses busy", content="A short script for the busy account.", language="en-US",
                    account=busy)
    proc = run(db_url, "accounts", "delete", busy, check=False)
    assert proc.returncode != 0 and f"used by 1 script(s) ({script_id})" in proc.stderr
    assert rows(db_url, "accounts")[busy].deleted_at is None

    out = run(db_url, "accounts", "update", busy, "--platform", "douyin").stdout
    assert f"scripts using it: {script_id}" in out and "--rerender" in out
    assert json.loads(run(db_url, "accounts", "show", busy, "--json").stdout)["scripts"] == [script_id]

    assert f"scripts {script_id} still refer to it" in run(db_url, "accounts", "delete", busy, "--force").stdout
    assert rows(db_url, "accounts")[busy].deleted_at is not None
    # a deleted account takes no new scripts, and the scripts that kept it fail their render naming it
    with pytest.raises(BadScriptError, match="unknown account"):
        add(db_url, title="t", content="Another script.", account=busy)
    with session_scope(db_url) as session, pytest.raises(BadScriptError) as info:
        build_spec(session.get(Script, script_id))
    assert info.value.field == "account" and "deleted" in info.value.problem


# (table, CSV/JSONL line, field named in the error): every rule with a bad value.
BAD_VALUES = [
    ("accounts", {"username": "a1", "logo": "missing.png"}, "logo"),
    ("accounts", {"username": "a2", "logo": "broken.png"}, "logo"),
    ("accounts", {"username": "a3", "logo": "/etc/hostname"}, "logo"),
    ("accounts", {"username": "a4", "digital_human": {"avatar": "broken.wav"}}, "digital_human.avatar"),
    ("accounts", {"username": "a5", "digital_human": {"mode": "sideways"}}, "digital_human.mode"),
    ("accounts", {"username": "a13", "digital_human": {"face_box": [200, 10, 100, 90]}}, "digital_human.face_box"),
    ("accounts", {"username": "a6", "extra": {"bgm": "broken.wav"}}, "extra.bgm"),
    ("accounts", {"username": "a7", "font": "DejaVu Sans, Noto Sans CJK SC"}, "font"),
    ("accounts", {"username": "a8", "font": "No Such Family Anywhere"}, "font"),
    ("accounts", {"username": "a9", "subtitle_background": "red;drawbox"}, "subtitle_background"),
    ("accounts", {"username": "a10", "transition_types": ["fade", "spin3d"]}, "transition_types"),
    ("accounts", {"username": "a11", "enable_transition": "sometimes"}, "enable_transition"),
    ("accounts", {"username": "x" * 65}, "username"),
    ("accounts", {"username": "a12", "colour": "#000000"}, "colour"),
    ("topics", {"name": "t1", "lora_name": "nowhere"}, "lora_name"),
    ("topics", {"name": "t2", "lora_weight": 500}, "lora_weight"),
    ("topics", {"name": "t3", "broll_ratio": 1.5}, "broll_ratio"),
    ("topics", {"name": "t4", "extra": [1, 2]}, "extra"),
    ("voices", {"name": "v1", "reference_audio": "logo.png"}, "reference_audio"),
    ("voices", {"name": "v2", "reference_audio": "../outside.wav"}, "reference_audio"),
    ("voices", {"name": "v3", "reference_audio": "untranscribed.wav", "backend": "http"}, "reference_audio"),
    ("languages", {"code": "xx-XX", "name": "Nowhere", "tts_voice": "no-such-espeak-voice"}, "tts_voice"),
    ("languages", {"code": "not a code", "name": "Bad", "tts_voice": "en"}, "code"),
]
FLUX = {"BATCHVIDEO_IMAGE_BACKEND": "flux"}  # LoRA names are checked when Flux would load them


@pytest.mark.parametrize("table", sorted({t for t, _, _ in BAD_VALUES}))
def test_every_rule_refuses_a_bad_value_naming_the_field(db_url, assets, tmp_path, table):
    key = TABLES[table].key
    cases = [({**line, key: line[key] if field == key else unique(line[key])}, field)
             for t, line, field in BAD_VALUES if t == table]
    good = {key: unique(VALID[table][0]), **({"name": "Italian", "tts_voice": "it"} if table == "languages" else {})}
    path = tmp_path / f"{table}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line, _ in cases) + json.dumps(good) + "\n",
                    encoding="utf-8")
    (tmp_path / "loras").mkdir()
    env = {**FLUX, "BATCHVIDEO_LORA_DIR": str(tmp_path / "loras")}
    proc = run(db_url, table, "import", str(path), check=False, env=env)
    assert proc.returncode == 1
    for line_no, (line, field) in enumerate(cases, 1):
        assert f"{table}.jsonl:{line_no}: {field}:" in proc.stderr, (field, proc.stderr)
    assert proc.stdout.strip() == f"added {TABLES[table].noun} {good[key]!r}"
    assert not {line[key] for line, _ in cases} & set(rows(db_url, table)), "a refused line was written"


def test_a_bad_value_leaves_the_row_as_it_was(db_url, assets):
    half = unique("half")
    proc = run(db_url, "accounts", "add", half, "--logo", "logo.png", "--font", "DejaVu Sans, Arial", check=False)
    assert proc.returncode != 0 and "font:" in proc.stderr and half not in rows(db_url, "accounts")
    run(db_url, "accounts", "add", half, "--logo", "logo.png")
    proc = run(db_url, "accounts", "update", half, "--platform", "douyin", "--logo", "broken.png", check=False)
    assert proc.returncode != 0 and "logo:" in proc.stderr
    stored = rows(db_url, "accounts")[half]
    assert (stored.platform, stored.logo) == ("youtube", "logo.png")


def test_lora_resolves_when_flux_is_configured(db_url, tmp_path):
    loras = tmp_path / "loras"
    loras.mkdir()
    (loras / "watercolor.safetensors").write_bytes(b"weights")
    env = {**FLUX, "BATCHVIDEO_LORA_DIR": str(loras)}
    run(db_url, "topics", "add", unique("wc"), "--lora-name", "watercolor", env=env)
    oil = unique("oil")
    assert "lora_name:" in run(db_url, "topics", "add", oil, "--lora-name", "oil", check=False, env=env).stderr
    # without Flux the name is only a label (the placeholder and HTTP image backends ignore local files)
    run(db_url, "topics", "add", oil, "--lora-name", "oil")


@pytest.mark.parametrize("table,fmt", [("accounts", "jsonl"), ("accounts", "csv"), ("topics", "csv"),
                                       ("voices", "csv"), ("languages", "jsonl")])
def test_export_import_round_trip(db_url, assets, tmp_path, table, fmt):
    key, options = unique(VALID[table][0]), VALID[table][1]
    run(db_url, table, "add", key, *options)
    exported = run(db_url, table, "export", key, "--format", fmt).stdout
    path = tmp_path / f"{table}.{fmt}"
    path.write_text(exported, encoding="utf-8")
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    run(fresh, "db", "upgrade")
    out = run(fresh, table, "import", str(path)).stdout
    assert f"added {TABLES[table].noun} {key!r}" in out
    again = tmp_path / f"again.{fmt}"
    run(fresh, table, "export", "-o", str(again))
    assert again.read_text(encoding="utf-8") == exported
    records = ([json.loads(line) for line in exported.splitlines()] if fmt == "jsonl"
               else list(csv.DictReader(exported.splitlines())))
    assert list(records[0]) == TABLES[table].fields
    # importing the same file again replaces the rows instead of duplicating them
    assert f"updated {TABLES[table].noun} {key!r}" in run(fresh, table, "import", str(path)).stdout
    assert len(records) == 1 and len([k for k in rows(fresh, table) if k == key]) == 1


def test_import_reads_bom_csv_and_reports_each_bad_line(db_url, assets, tmp_path):
    east, west, south, north = (unique(name) for name in ("east", "west", "south", "north"))
    path = tmp_path / "channels.csv"
    path.write_text("username,logo,subtitle_background,transition_types\n"
                    f"{east},logo.png,#00AA00,\"fade,dissolve\"\n"
                    f"{west},nope.png,#0000AA,\n"
                    f"{south},,#AA0000,\"[\"\"slideup\"\"]\"\n"
                    f"{north},,blue,\n", encoding="utf-8-sig")
    proc = run(db_url, "accounts", "import", str(path), check=False)
    assert proc.returncode == 1
    assert "channels.csv:3: logo:" in proc.stderr and "channels.csv:5: subtitle_background:" in proc.stderr
    stored = rows(db_url, "accounts")
    assert stored[east].transition_types == ["fade", "dissolve"] and stored[south].transition_types == ["slideup"]
    assert west not in stored and north not in stored

    headless = tmp_path / "headless.csv"
    headless.write_text("east2,logo.png,#00AA00\n", encoding="utf-8")
    proc = run(db_url, "accounts", "import", str(headless), check=False)
    assert proc.returncode != 0 and "header: no 'username' column" in proc.stderr


def test_render_applies_the_same_rules_to_rows_written_around_the_cli(db_url, assets):
    """A font with a comma written by raw SQL fails the render naming the field, as the CLI refuses it."""
    with session_scope(db_url) as session:
        session.add(Account(username="sql-font", font="DejaVu Sans, Arial", extra={}))
        session.add(Topic(name="sql-topic", lora_weight=0, broll_ratio=3.0, extra={}))
    for fields, field in ((dict(account="sql-font"), "account.font"), (dict(topic="sql-topic"), "topic.broll_ratio")):
        script_id = add(db_url, title="t", content="A valid sentence.", language="en-US", **fields)
        with session_scope(db_url) as session, pytest.raises(BadScriptError) as info:
            build_spec(session.get(Script, script_id))
        assert info.value.field == field


def test_scripts_list_json_and_delete_say_what_they_did(db_url):
    script_id = add(db_url, title="Listed", content="A script to list.", language="en-US", topic="science")
    listed = {s["id"]: s for s in json.loads(run(db_url, "scripts", "list", "--json").stdout)}
    assert (listed[script_id]["title"], listed[script_id]["topic"], listed[script_id]["state"]) == \
        ("Listed", "science", "-")
    assert run(db_url, "scripts", "delete", str(script_id)).stdout.strip() == f"deleted script {script_id}"
    proc = run(db_url, "scripts", "delete", "987654321", check=False)
    assert proc.returncode != 0 and "no script 987654321" in proc.stderr


@pytest.mark.parametrize("url,message", [
    ("postgresql+psycopg2://postgres@127.0.0.1:1/nothing", "Connection refused"),
    ("sqlite:///{tmp}/never-migrated.db", "run `batchvideo db upgrade`"),
])
def test_a_database_that_is_down_is_one_line(tmp_path, url, message):
    proc = run(url.format(tmp=tmp_path), "accounts", "list", check=False)
    assert proc.returncode != 0 and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_update_rerender_renders_the_scripts_that_use_it(prepared_db, instance):
    run(prepared_db, "accounts", "add", "rebrand", "--logo", "logo.png", "--subtitle-background", "#2E86C1")
    script_id = add(prepared_db, title="Rebrand", content="A short script. It gets a new colour.",
                    language="en-US", account="rebrand")
    proc = run(prepared_db, "accounts", "update", "rebrand", "--subtitle-background", "#C0392B", "--rerender")
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [r["id"] for r in results] == [str(script_id)] and results[0]["status"] == "SUCCESS"
    assert "rendering the stale stages of 1 script(s)" in proc.stdout
    assert streams(path_of(results[0]["outputs"]["logoed_video"]), "video")
    assert latest_run(prepared_db, script_id).status == "SUCCESS"
