"""A corpus of bad and nasty script rows rendered in one batch (docs/reliability.md).

Every row ends either in a correct video (nasty but valid text) or in a FAILED run whose error
names the field, a FAILED `script_runs` row and nothing under the job's folder; the valid rows in
the same batch still succeed. Rows are written straight into the table (as another service
would), bypassing the CLI's checks; those checks are covered at the end.
"""

import json
import os
import re
import sqlite3
import unicodedata

import dagster as dg
import pytest
from helpers import parse_srt, path_of, streams, wav_seconds
from sqlalchemy import select

from batchvideo_app.catalog import add_script, default_asset_root
from batchvideo_app.render import render_scripts
from batchvideo_assets.resources import media_store
from batchvideo_resources.db import (
    Account,
    Language,
    Script,
    Topic,
    Voice,
    session_scope,
)
from batchvideo_resources.db.script_runs import latest_run
from batchvideo_resources.script_spec import BadScriptError

SPECIAL = ("Don't panic: 50% off {now} [sale]; a,b \\ \"quoted\" 'single' \\N {\\b1}bold{\\b0} <i>x</i> "
           "--> 00:00:01,000 $HOME `ls` & | > ; drawtext=text='x':fontsize=9 #@#hidden marker#@# done.")
SPECIAL_TITLE = "Title: 100% {fun} [a,b]; 'q' \"d\" \\ --> =,"
CONTROLS = " זה\x00 טקסט\x07 עם\x1b[31m תווי\x08 בקרה\u200b 🚀.\r\nשורה\tשנייה 😀 בסדר."
RTL = "שלום עולם. זהו סרטון קצר על הים, השמש והרוח. אנחנו בודקים טקסט שנכתב מימין לשמאל."

# name → (row fields, expected field in the error or None for "renders correctly")
CORPUS = {
    "empty content": (dict(content=""), "content"),
    "whitespace content": (dict(content="  \n\t \u3000 \r\n "), "content"),
    "100,000 characters": (dict(content="Long sentence goes on. " * 4348), "content"),
    "control chars only": (dict(content="\x00\x01\x02\x1b\x7f"), "content"),
    "emoji only": (dict(content="😀🎉🚀 🌌🔥 !!! ..."), "content"),
    "speed too slow": (dict(speech_speed=0.1), "speech_speed"),
    "speed too fast": (dict(speech_speed=5.0), "speech_speed"),
    "speed negative": (dict(speech_speed=-1.0), "speech_speed"),
    "empty title": (dict(title="   "), "title"),
    "1000-char title": (dict(title="T" * 1000), "title"),
    "unknown espeak voice": (dict(language="xx-XX"), "language.tts_voice"),
    "voice file missing": (dict(voice="ghost"), "voice.reference_audio"),
    "voice path escapes": (dict(voice="escaper"), "voice.reference_audio"),
    "logo missing": (dict(account="nologo-file"), "account.logo"),
    "logo absolute path": (dict(account="abs-logo"), "account.logo"),
    "logo file:// URL": (dict(account="url-logo"), "account.logo"),
    "logo corrupt": (dict(account="corrupt-logo"), "account.logo"),
    "logo symlink out of root": (dict(account="symlink-logo"), "account.logo"),
    "bad subtitle colour": (dict(account="bad-colour"), "account.subtitle_background"),
    "bad digital human": (dict(account="bad-dh"), "account.digital_human.mode"),
    "account extra not object": (dict(account="bad-extra"), "account.extra"),
    "lora weight out of range": (dict(topic="heavy-lora"), "topic.lora_weight"),
    "bgm URL": (dict(extra={"bgm": "https://example.com/music.mp3"}), "extra.bgm"),
    "bgm corrupt": (dict(extra={"bgm": "corrupt.wav"}), "extra.bgm"),
    "bgm is a directory": (dict(extra={"bgm": "folder.wav"}), "extra.bgm"),
    "bgm not a string": (dict(extra={"bgm": 42}), "extra.bgm"),
    "audio path escapes": (dict(extra={"audio": "../secret.wav"}), "extra.audio"),
    "audio absolute": (dict(extra={"audio": "/etc/passwd"}), "extra.audio"),
    "audio with NUL": (dict(extra={"audio": "a\x00b.wav"}), "extra.audio"),
    "extra is a list": (dict(extra=[1, 2, 3]), "extra"),
    "extra is a non-JSON string": (dict(extra="{not json"), "extra"),
    "extra h2v not bool": (dict(extra={"h2v": "maybe"}), "extra.h2v"),
    "extra broll_ratio > 1": (dict(extra={"broll_ratio": 7}), "extra.broll_ratio"),
    "extra index_text not str": (dict(extra={"index_text": 12345}), "extra.index_text"),
    "deleted row": (dict(deleted=True), "deleted_at"),
    "dangling language_id": (dict(raw={"language_id": 987654}), "language_id"),
    "dangling voice_id": (dict(raw={"voice_id": 987654}), "voice_id"),
    "dangling topic_id": (dict(raw={"topic_id": 987654}), "topic_id"),
    "dangling account_id": (dict(raw={"account_id": 987654}), "account_id"),
    "speed is text": (dict(raw={"speech_speed": "fast"}), "speech_speed"),
    "extra is invalid JSON text": (dict(raw={"extra": "{oops"}), "extra"),
    # nasty but valid: these must render correctly
    "RTL text with control chars and emoji": (dict(content=RTL + CONTROLS, title="שלום\x00 🚀", language="he-IL"),
                                              None),
    "ffmpeg/SRT/ASS special characters": (dict(content=SPECIAL, title=SPECIAL_TITLE, publish_title=SPECIAL_TITLE),
                                          None),
}
VALID_FIELDS = {"title": "A title", "content": "A short valid sentence.", "speech_speed": 1.0}


def _reference_rows(url):
    root = default_asset_root()
    (root / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    (root / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    (root / "folder.wav").mkdir(exist_ok=True)
    if not (root / "escape.png").is_symlink():
        os.symlink("/etc/hostname", root / "escape.png")
    with session_scope(url) as s:
        s.add_all([
            Language(code="xx-XX", name="Nowhere", tts_voice="no-such-espeak-voice", square=False),
            Language(code="he-IL", name="Hebrew", tts_voice="he", square=False),
            Voice(name="ghost", reference_audio="missing.wav", backend="espeak"),
            Voice(name="escaper", reference_audio="../../etc/passwd", backend="espeak"),
            Account(username="nologo-file", logo="nope.png", extra={}),
            Account(username="abs-logo", logo="/etc/passwd", extra={}),
            Account(username="url-logo", logo="file:///etc/passwd", extra={}),
            Account(username="corrupt-logo", logo="corrupt.png", extra={}),
            Account(username="symlink-logo", logo="escape.png", extra={}),
            Account(username="bad-colour", subtitle_background="red;drawbox", extra={}),
            Account(username="bad-dh", digital_human={"mode": "sideways"}, extra={}),
            Account(username="bad-extra", extra=["not", "an", "object"]),
            Topic(name="heavy-lora", lora_name="x", lora_weight=500, extra={}),
        ])


def _insert(url, fields):
    """One row written directly (no CLI validation); names are resolved to ids like a service would."""
    fields = dict(fields)
    raw = fields.pop("raw", None)
    deleted = fields.pop("deleted", False)
    data = {**VALID_FIELDS, "language": "en-US", "account": "plain", **fields}
    if raw is not None:  # dangling ids / wrong types: SQLite with foreign keys off, as a careless writer would
        path = url.split("///", 1)[1]
        with sqlite3.connect(path) as conn:
            cols = {"title": "raw row", "content": "A short valid sentence.", "speech_speed": 1.0,
                    "is_horizontal": 1, "priority": 0, **raw}
            cur = conn.execute(f"INSERT INTO scripts ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                               list(cols.values()))
            return cur.lastrowid
    with session_scope(url) as s:
        def lookup(model, column, key):
            name = data.pop(key, None)
            return s.scalar(select(model).where(column == name)) if name else None

        row = Script(language=lookup(Language, Language.code, "language"), voice=lookup(Voice, Voice.name, "voice"),
                     topic=lookup(Topic, Topic.name, "topic"), account=lookup(Account, Account.username, "account"),
                     **data)
        if deleted:
            import datetime as dt

            row.deleted_at = dt.datetime(2020, 1, 1)
        s.add(row)
        s.flush()
        return row.id


@pytest.fixture(scope="module")
def batch(prepared_db, instance):
    _reference_rows(prepared_db)
    ids = {name: _insert(prepared_db, fields) for name, (fields, _) in CORPUS.items()}
    extra_keys = {"no such row": "987650", "not an id": "abc"}
    order = list(ids.values())
    # interleave the odd partition keys inside the batch
    keys = [str(i) for i in order[:5]] + list(extra_keys.values()) + [str(i) for i in order[5:]]
    results = {r["id"]: r for r in render_scripts(keys, instance=instance, in_process=True)}
    return {"ids": ids, "results": results, "extra": extra_keys, "instance": instance}


def test_corpus_size():
    assert len(CORPUS) >= 25
    assert sum(1 for _, expected in CORPUS.values() if expected is None) >= 2


@pytest.mark.parametrize("name", [n for n, (_, e) in CORPUS.items() if e is not None])
def test_bad_row_fails_naming_the_field(batch, prepared_db, name):
    expected = CORPUS[name][1]
    sid = batch["ids"][name]
    result = batch["results"][str(sid)]
    assert result["status"] == "FAILED", (name, result)
    assert f"{expected}:" in result["error"], (name, result["error"])
    if name == "deleted row":  # refused before any run: no partition, no run, nothing to write back
        assert result["run_id"] is None and result["error"].startswith("deleted_at: ")
        return
    # fails fast at the first stage, and the message names the field
    assert result["error"].startswith("script: "), result["error"]
    row = latest_run(prepared_db, sid)
    assert row is not None and row.status == "FAILED" and row.run_id == result["run_id"]
    assert expected in row.error and row.finished_at is not None
    assert result["outputs"] == {} and not row.outputs
    job = media_store().local_root / "jobs" / str(sid)
    assert not job.exists() or not [p for p in job.rglob("*") if p.is_file()], list(job.rglob("*"))


def test_odd_partition_keys_fail_cleanly(batch, prepared_db):
    """Unknown and malformed IDs are refused by `render` before any run: no partition is added."""
    missing = batch["results"][batch["extra"]["no such row"]]
    assert missing["status"] == "FAILED" and "id: no script with id 987650" in missing["error"]
    assert missing["run_id"] is None and latest_run(prepared_db, 987650) is None
    bad = batch["results"]["abc"]
    assert bad["status"] == "FAILED" and "id:" in bad["error"] and bad["run_id"] is None
    partitions = set(batch["instance"].get_dynamic_partitions("scripts"))
    assert "987650" not in partitions and "abc" not in partitions


@pytest.mark.parametrize("name", [n for n, (_, e) in CORPUS.items() if e is None])
def test_nasty_but_valid_rows_render_correctly(batch, instance, prepared_db, name):
    sid = batch["ids"][name]
    result = batch["results"][str(sid)]
    assert result["status"] == "SUCCESS", (name, result["error"])
    assert latest_run(prepared_db, sid).status == "SUCCESS"
    checks = [r.dagster_event.event_specific_data
              for r in instance.all_logs(result["run_id"], of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
    assert len(checks) == 8 and all(c.passed for c in checks), [(c.check_name, c.description) for c in checks]
    outputs = result["outputs"]
    narration = wav_seconds(path_of(outputs["audio"]))
    (video,) = streams(path_of(outputs["logoed_video"]), "video")
    assert abs(float(video["duration"]) - narration) < 0.1
    cues = parse_srt(path_of(outputs["srt"]))
    text = "".join(c.content for c in cues)
    assert cues and not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in text), repr(text)
    if name.startswith("ffmpeg"):
        flat = text.replace("\n", " ")
        for literal in ("50%", "[sale]", "drawtext=text='x'", "$HOME", "`ls`"):
            assert literal in flat, (literal, flat)
        # markup a player would interpret is shown, inert, as the burned-in subtitles show it
        for literal in ("\uff5bnow\uff5d", "\uff3cN", "\uff5b\uff3cb1\uff5d", "\uff1ci\uff1ex\uff1c/i\uff1e"):
            assert literal in flat, (literal, flat)
        assert not re.search(r"<[a-z/]|\{\\", flat), flat
        assert "hidden marker" not in flat
        assert json.loads(media_store().read_bytes(f"jobs/{sid}/manifests/cover.json"))["title"] == SPECIAL_TITLE
    if name.startswith("RTL"):
        assert "שלום" in text


@pytest.mark.parametrize("fields,field", [
    (dict(title="t", content="ok", language="klingon"), "language"),
    (dict(title="t", content="ok", voice="nobody"), "voice"),
    (dict(title="t", content="ok", topic="nothing"), "topic"),
    (dict(title="t", content="ok", account="nobody"), "account"),
    (dict(title="t", content="ok", speech_speed="fast"), "speech_speed"),
    (dict(title="t", content="ok", speech_speed="nan"), "speech_speed"),
    (dict(title="t", content="ok", speech_speed=2.5), "speech_speed"),
    (dict(title="t", content=" \x00\x01 "), "content"),
    (dict(title="t", content="🎉🎉"), "content"),
    (dict(title="t", content="x" * 100_000), "content"),
    (dict(title="", content="ok"), "title"),
    (dict(title="t" * 300, content="ok"), "title"),
    (dict(title="t", content="ok", extra="[1, 2]"), "extra"),
    (dict(title="t", content="ok", extra="{oops"), "extra"),
    (dict(title="t", content="ok", is_horizontal="sideways"), "is_horizontal"),
    (dict(title="t", content="ok", priority="high"), "priority"),
    (dict(title="t", content="ok", colour="red"), "colour"),
])
def test_cli_validation_names_the_field(prepared_db, fields, field):
    with session_scope(prepared_db) as s, pytest.raises(BadScriptError) as info:
        add_script(s, fields)
    assert info.value.field == field
