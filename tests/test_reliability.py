"""What a careless writer, a hostile user or a crash must not do (issue 13): hang a step, leave work
folders behind, turn a bad value into a wrong video called SUCCESS, mix published versions, or leak a
secret. Every case runs the real program (ffmpeg, espeak-ng, SQLite/PostgreSQL, an HTTP server)."""

import io
import json
import os
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path

import pytest
from conftest import frame
from PIL import Image

from batchvideo_media import process
from batchvideo_media.probe import MediaError, run_ffmpeg

# Renders at the small test canvas (the vertical check compares with it).
pytestmark = pytest.mark.small_canvas


def broken_png(path: Path, size: int = 256) -> Path:
    """A PNG whose chunks all carry valid CRCs but whose compressed pixel data is garbage: headers
    probe fine, decoding fails (and `ffmpeg -loop 1` over it spins forever)."""
    img = Image.new("RGBA", (size, size), (200, 30, 30, 255))
    for x in range(size):
        for y in range(0, size, 3):
            img.putpixel((x, y), (x % 256, y % 256, 100, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    data, out, pos = buf.getvalue(), bytearray(buf.getvalue()[:8]), 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        kind, body = data[pos + 4:pos + 8], bytearray(data[pos + 8:pos + 8 + length])
        if kind == b"IDAT":
            for i in range(20, len(body) - 10, 7):
                body[i] ^= 0x5A
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + bytes(body)))
        pos += 12 + length
    path.write_bytes(bytes(out))
    return path


def corrupt_mp3(path: Path) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=5", "-c:a", "libmp3lame",
                    str(path)], check=True)
    data = bytearray(path.read_bytes())
    for i in range(2000, len(data) - 500, 3):
        data[i] ^= 0xA5
    path.write_bytes(bytes(data))
    return path


def processes_mentioning(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text.encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.fixture
def short_limits():
    saved = (process.LIMITS.floor_s, process.LIMITS.cap_s)
    process.configure_limits(floor_s=3, cap_s=6)
    yield
    process.configure_limits(*saved)


# ------------------------------------------------------------------ 1. every external process bounded
@pytest.mark.media
def test_hung_ffmpeg_is_killed_in_bounded_time_naming_its_input(tmp_path, short_limits):
    png = broken_png(tmp_path / "avatar-hang.png")
    started = time.monotonic()
    with pytest.raises(MediaError) as info:
        # the placeholder lip-sync's shape: a looped still for 2 s; ffmpeg never gets a frame out
        run_ffmpeg(["-loop", "1", "-i", str(png), "-t", "2", "-f", "null", "-"])
    elapsed = time.monotonic() - started
    assert elapsed < 12, elapsed  # floor 3 s + 10 s per media second, capped at 6 s
    assert str(png) in str(info.value) and "killed" in str(info.value)
    assert processes_mentioning(str(png)) == []


@pytest.mark.media
def test_ffmpeg_log_capture_is_bounded(tmp_path, short_limits):
    """The hung ffmpeg above logs without end (the 4 GB render process); only a tail is kept."""
    png = broken_png(tmp_path / "chatty.png")
    saved = process.LIMITS.log_bytes
    process.LIMITS.log_bytes = 4096
    try:
        with pytest.raises(process.ProcessTimeout):
            process.run_bounded(["ffmpeg", "-v", "error", "-loop", "1", "-i", str(png), "-t", "1", "-f", "null",
                                 "-"], what="chatty", timeout=2)
        code, _, log = process.run_bounded(["sh", "-c", "yes 'inflate returned error -3' | head -n 200000 >&2"],
                                           what="sh", timeout=10)
        assert code == 0 and 0 < len(log) <= 4096 and log.endswith("error -3\n")
    finally:
        process.LIMITS.log_bytes = saved


@pytest.mark.media
def test_interrupted_caller_kills_the_child_group(tmp_path):
    """A terminated step (KeyboardInterrupt / DagsterExecutionInterruptedError in the waiting thread)
    takes its child and the child's own children with it."""
    import signal
    import threading

    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        process.run_bounded(["sh", "-c", "sleep 3117 & sleep 3118"], what="sh", timeout=60)
    time.sleep(0.5)
    left = [pid for pid in processes_mentioning("sleep 311")
            if Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"]
    assert left == []


@pytest.mark.e2e  # a Dagster code server
def test_a_code_server_started_in_the_background_stops_on_sigterm(tmp_path):
    """A shell's background job has SIGINT ignored, and Dagster's CLIs give SIGTERM SIGINT's handler: a
    code server (or daemon) started from one ignored the SIGTERM meant to stop it and was only killed after
    the grace period. The launcher starts it with both signals at their defaults."""
    import signal

    from batchvideo_app.local_daemon import start_code_server, stop_group

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in `.ci/run &`
    try:
        server, _ = start_code_server(dict(os.environ), tmp_path / "code.log", tmp_path)
    finally:
        signal.signal(signal.SIGINT, previous)
    started = time.monotonic()
    stop_group(server, grace_s=30)
    assert server.returncode != -signal.SIGKILL and time.monotonic() - started < 30, \
        (tmp_path / "code.log").read_text()[-2000:]


@pytest.mark.parametrize("field,kind,make", [
    ("account.logo", "image", lambda p: broken_png(p / "logo-broken.png")),
    ("account.digital_human.avatar", "media", lambda p: broken_png(p / "avatar-broken.png")),
    ("extra.bgm", "audio", lambda p: corrupt_mp3(p / "bgm-broken.mp3")),
    ("voice.reference_audio", "audio", lambda p: corrupt_mp3(p / "voice-broken.mp3")),
])
def test_inputs_are_decoded_whole_at_validation(tmp_path, monkeypatch, field, kind, make):
    from batchvideo_resources.script_spec import BadScriptError, resolve_asset_path

    monkeypatch.setenv("BATCHVIDEO_ASSET_ROOTS", str(tmp_path))
    path = make(tmp_path)
    started = time.monotonic()
    with pytest.raises(BadScriptError) as info:
        resolve_asset_path(path.name, field, kind)
    assert info.value.field == field and path.name in str(info.value)
    assert time.monotonic() - started < 10


# ------------------------------------------------------------------ 2. stale work folders swept
def test_stale_work_folders_of_dead_processes_are_swept():
    from batchvideo_assets.common import workdir

    dead = subprocess.Popen(["true"])
    dead.wait()
    tmp = Path(tempfile.gettempdir())
    stale = tmp / f"batchvideo-{dead.pid}-stale"
    fresh = tmp / f"batchvideo-{dead.pid}-fresh"
    mine = tmp / f"batchvideo-{os.getpid()}-old-but-alive"
    for folder in (stale, fresh, mine):
        (folder / "sub").mkdir(parents=True, exist_ok=True)
        (folder / "sub" / "chunk.mp4").write_bytes(b"x" * 1000)
    old = time.time() - 4 * 3600
    for folder in (stale, mine):
        os.utime(folder, (old, old))
    try:
        with workdir() as path:
            assert path.name.startswith(f"batchvideo-{os.getpid()}-")
        assert not stale.exists()
        assert fresh.exists() and mine.exists()
        assert not path.exists()
    finally:
        import shutil

        for folder in (stale, fresh, mine):
            shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------ 6. text hygiene
def test_srt_carries_no_markup_a_player_would_interpret():
    import srt as srtlib

    from batchvideo_media.audio import TimedSentence
    from batchvideo_media.subtitles import build_cues, to_srt

    text = r'Be <i>careful</i> with <font color="red">red</font> and {\an8}top {\pos(1,1)}text \N here.'
    cues = build_cues([TimedSentence(text, 0, 4000)], square=False, vertical=False)
    parsed = list(srtlib.parse(to_srt(cues)))
    shown = " ".join(c.content.replace("\n", " ") for c in parsed)
    assert not __import__("re").search(r"<\s*/?\s*[a-z]|\{\\|\\N", shown), shown
    for word in ("careful", "red", "an8", "top", "here"):
        assert word in shown


def test_bidi_controls_leave_titles_and_zero_width_space_breaks_words():
    from batchvideo_media.text import clean_line, normalise, split_sentences

    spoofed = "Invoice \u202egpj.exe\u202c \u2066x\u2069 \u200ffinal"
    assert clean_line(spoofed) == "Invoice gpj.exe x final"
    assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 or c in "\u200e\u200f"
                   for c in clean_line(spoofed))
    assert normalise("Zero\u200bwidth\u200bjoiners are word breaks.") == "Zero width joiners are word breaks."
    assert normalise("你好\u200b世界。") == "你好世界。"
    assert "Zerowidth" not in " ".join(split_sentences("Zero\u200bwidth spaces split words."))


# ------------------------------------------------------------------ 3 + 4. a bad row fails alone, by name
def _raw_row(url: str, **cols) -> int:
    """A row written by raw SQL into SQLite, as a careless service would (no type checks at all)."""
    import sqlite3

    path = url.split("///", 1)[1]
    with sqlite3.connect(path) as conn:
        language_id = conn.execute("SELECT id FROM languages WHERE code = ?",
                                   (cols.pop("language", "en-US"),)).fetchone()[0]
        account = cols.pop("account", None)
        account_id = conn.execute("SELECT id FROM accounts WHERE username = ?", (account,)).fetchone()[0] \
            if account else None
        row = {"title": "raw row", "content": "A short valid sentence for the test.", "speech_speed": 1.0,
               "is_horizontal": 1, "priority": 0, "extra": "{}", "language_id": language_id,
               "account_id": account_id, **cols}
        cur = conn.execute(f"INSERT INTO scripts ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                           list(row.values()))
        return cur.lastrowid


HOSTILE_ROWS = {
    "is_horizontal 'maybe'": (dict(is_horizontal="maybe"), "is_horizontal"),
    "priority 1e19": (dict(priority=1e19), "priority"),
    "extra 3000 deep": (dict(extra='{"a":' * 3000 + "1" + "}" * 3000), "extra"),
    "extra '{oops'": (dict(extra="{oops"), "extra"),
    "font with a comma": (dict(account="comma-font"), "account.font"),
    "font not installed": (dict(account="ghost-font"), "account.font"),
    "logo with broken pixel data": (dict(account="broken-logo"), "account.logo"),
    "avatar with broken pixel data": (dict(account="broken-avatar", extra='{"enable_digital_human": true}'),
                                      "account.digital_human.avatar"),
    "Arabic as en-US": (dict(content="مرحبا بكم في هذا الفيديو القصير عن البحر والشمس."), "content"),
    "Hebrew as en-US": (dict(content="שלום עולם. זהו סרטון קצר על הים."), "content"),
    "Thai as ja-JP": (dict(content="สวัสดีครับ นี่คือวิดีโอสั้นเกี่ยวกับทะเล", language="ja-JP"), "content"),
}


@pytest.fixture(scope="module")
def hostile_batch(prepared_db, instance):
    from batchvideo_app.catalog import default_asset_root
    from batchvideo_app.render import render_scripts
    from batchvideo_resources.db import Account, session_scope

    root = default_asset_root()
    broken_png(root / "broken-logo.png")
    broken_png(root / "broken-avatar.png")
    with session_scope(prepared_db) as s:
        s.add_all([Account(username="comma-font", font="Noto Sans CJK SC,Bold", extra={}),
                   Account(username="ghost-font", font="No Such Family", extra={}),
                   Account(username="broken-logo", logo="broken-logo.png", extra={}),
                   Account(username="broken-avatar", extra={},
                           digital_human={"avatar": "broken-avatar.png", "mode": "corner"})])
    ids = {name: _raw_row(prepared_db, **cols) for name, (cols, _) in HOSTILE_ROWS.items()}
    ids["is_horizontal 'false' (good)"] = _raw_row(prepared_db, is_horizontal="false")
    started = time.monotonic()
    results = {r["id"]: r for r in render_scripts([str(i) for i in ids.values()], instance=instance,
                                                  in_process=True)}
    return {"ids": ids, "results": results, "seconds": time.monotonic() - started}


@pytest.mark.parametrize("name", list(HOSTILE_ROWS))
def test_hostile_row_fails_alone_naming_the_field(hostile_batch, prepared_db, name):
    from batchvideo_resources.db.script_runs import latest_run

    sid = hostile_batch["ids"][name]
    result = hostile_batch["results"][str(sid)]
    field = HOSTILE_ROWS[name][1]
    assert result["status"] == "FAILED", (name, result)
    assert result["error"].startswith(f"script: {field}:"), result["error"]
    row = latest_run(prepared_db, sid)
    assert row.status == "FAILED" and f"{field}:" in row.error and not row.outputs


def test_good_row_beside_them_renders_and_false_means_false(hostile_batch, prepared_db):
    from helpers import path_of, streams

    result = hostile_batch["results"][str(hostile_batch["ids"]["is_horizontal 'false' (good)"])]
    assert result["status"] == "SUCCESS", result["error"]
    (video,) = streams(path_of(result["outputs"]["logoed_video"]), "video")
    assert (video["width"], video["height"]) == frame(horizontal=False)  # 'false' read as False: vertical
    assert hostile_batch["seconds"] < 600


def test_scripts_list_shows_the_rows_it_cannot_read(hostile_batch, prepared_db):
    from click.testing import CliRunner

    from batchvideo_app.cli import main

    result = CliRunner().invoke(main, ["scripts", "list", "--limit", "100"])
    assert result.exit_code == 0, result.output
    lines = {int(line.split("\t")[0]): line for line in result.output.splitlines()}
    assert "(unreadable: is_horizontal)" in lines[hostile_batch["ids"]["is_horizontal 'maybe'"]]
    assert "(unreadable: extra)" in lines[hostile_batch["ids"]["extra '{oops'"]]
    assert "FAILED" in lines[hostile_batch["ids"]["extra '{oops'"]]


# ------------------------------------------------------------------ 7. secrets redacted everywhere
CANARIES = {
    "BATCHVIDEO_TTS_URL": "http://tts-user:CanaryTtsPw7@127.0.0.1:{port}",
    "BATCHVIDEO_ASR_URL": "http://asr-user:CanaryAsrPw7@127.0.0.1:9",
    "BATCHVIDEO_IMAGE_URL": "http://img-user:CanaryImgPw7@127.0.0.1:9",
    "BATCHVIDEO_LIPSYNC_URL": "http://lip-user:CanaryLipPw7@127.0.0.1:9",
    "BATCHVIDEO_LLM_BASE_URL": "http://llm-user:CanaryLlmUrlPw7@127.0.0.1:9/v1",
    "BATCHVIDEO_LLM_API_KEY": "sk-CanaryLlmKey7",
    "PEXELS_API_KEY": "CanaryPexelsKey7",
    "BATCHVIDEO_S3_ENDPOINT_URL": "http://s3-user:CanaryS3EndpointPw7@127.0.0.1:9",
    "BATCHVIDEO_S3_PUBLIC_ENDPOINT_URL": "http://s3-user:CanaryS3PublicPw7@127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "AKIACANARYKEYID7",
    "AWS_SECRET_ACCESS_KEY": "CanaryAwsSecret7",
    "DAGSTER_PG_PASSWORD": "CanaryDagsterPgPw7",
}


def _canary_words() -> list[str]:
    import re

    return sorted({w for value in CANARIES.values() for w in re.findall(r"Canary\w+|CANARY\w+", value)}
                  | {"CanaryDbPw7"})


def _leaks(root: Path, words: list[str]) -> list[str]:
    """Where any canary appears under `root`: plain files, and every value of every SQLite table
    (zlib-compressed blobs, as Dagster stores snapshots, decompressed first)."""
    import sqlite3

    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        texts = [data]
        if data.startswith(b"SQLite format 3"):
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
                    for row in conn.execute(f'SELECT * FROM "{table}"'):
                        for value in row:
                            if isinstance(value, bytes):
                                try:
                                    value = zlib.decompress(value)
                                except zlib.error:
                                    pass
                            texts.append(value if isinstance(value, bytes) else str(value).encode())
        for text in texts:
            for word in words:
                if word.encode() in text:
                    found.append(f"{path.relative_to(root)}: {word}")
    return sorted(set(found))


@pytest.mark.soak  # the canary render: every file of an instance searched (two minutes)
def test_no_secret_reaches_storage_logs_manifests_or_the_database(tmp_path, pg_url):
    """Canaries in every secret-bearing setting; a render through the instance that fails (the TTS
    server answers 500) and one that succeeds; then every file of the instance (run and event storage,
    compute logs), the media store (manifests), the CLI's output and the scripts database are searched."""
    import http.server
    import threading
    import wave

    from sqlalchemy import create_engine, text

    mode = {"fail": True}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if mode["fail"]:
                status, payload = 500, b"overloaded"
            else:
                buf = io.BytesIO()
                with wave.open(buf, "wb") as w:
                    w.setnchannels(1)
                    w.setsampwidth(2)
                    w.setframerate(24000)
                    seconds = max(0.6, len(body) / 400)
                    w.writeframes(b"".join(struct.pack("<h", int(8000 * ((i // 60) % 2 * 2 - 1)))
                                           for i in range(int(24000 * seconds))))
                status, payload = 200, buf.getvalue()
            self.send_response(status)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    db_url = pg_url.replace("postgres@", "postgres:CanaryDbPw7@", 1)  # trust auth: any password works
    env = {**os.environ, "DAGSTER_HOME": str(home), "BATCHVIDEO_DATA_DIR": str(data), "BATCHVIDEO_DB_URL": db_url,
           "BATCHVIDEO_TTS_BACKEND": "http", "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           **{k: v.format(port=httpd.server_address[1]) for k, v in CANARIES.items()}}
    root = Path(__file__).resolve().parents[1]

    def cli(*args, timeout=900):
        import sys

        return subprocess.run([sys.executable, "-m", "batchvideo_app.cli", *args], env=env, cwd=root,
                              capture_output=True, text=True, timeout=timeout)

    try:
        assert cli("init").returncode == 0
        added = subprocess.run([__import__("sys").executable, "-m", "batchvideo_app.cli", "scripts", "add",
                                "--title", "Secrets test", "--language", "en-US", "--content-file", "-"],
                               input="A short narration for the secrets test. It has two sentences.",
                               env=env, cwd=root, capture_output=True, text=True, timeout=300)
        assert added.returncode == 0, added.stderr
        sid = added.stdout.strip()
        failed = cli("render", sid)
        assert failed.returncode == 1 and '"status": "FAILED"' in failed.stdout, failed.stdout + failed.stderr
        assert "***@127.0.0.1" in failed.stdout, failed.stdout  # the error names the server, without its secret
        mode["fail"] = False
        done = cli("render", sid)
        assert done.returncode == 0 and '"status": "SUCCESS"' in done.stdout, done.stdout + done.stderr
        down = subprocess.run([__import__("sys").executable, "-m", "batchvideo_app.cli", "scripts", "list"],
                              env={**env, "BATCHVIDEO_DB_URL": "postgresql://u:CanaryDbPw7@127.0.0.1:1/x"},
                              cwd=root, capture_output=True, text=True, timeout=120)
        assert down.returncode == 1 and len(down.stderr.strip().splitlines()) == 1, down.stderr
    finally:
        httpd.shutdown()
        httpd.server_close()
    words = _canary_words()
    outputs = "".join(p.stdout + p.stderr for p in (failed, done, down))
    assert [w for w in words if w in outputs] == [], outputs
    assert _leaks(home, words) == []
    assert _leaks(data, words) == []
    manifests = list((data / "media").rglob("manifests/audio.json"))
    assert manifests and "***@127.0.0.1" in manifests[0].read_text()  # the source is named, redacted
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            rows = [str(tuple(r)) for table in ("script_runs", "scripts")
                    for r in conn.execute(text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()
    assert any("FAILED" in r for r in rows) and any("SUCCESS" in r for r in rows)
    assert [w for w in words if any(w in r for r in rows)] == []


# ------------------------------------------------------------------ 5. consistent published outputs
def _digests(outputs: dict) -> dict:
    import hashlib

    from helpers import path_of

    flat = {f"{stage}/{i}": uri for stage, value in outputs.items() if stage != "presigned"
            for i, uri in enumerate(value if isinstance(value, list) else [value])}
    return {name: hashlib.sha256(path_of(uri).read_bytes()).hexdigest() for name, uri in flat.items()}


def test_failed_rerender_and_delete_during_a_run_leave_the_published_set_intact(prepared_db, instance,
                                                                                 monkeypatch):
    from conftest import add
    from sqlalchemy import update

    from batchvideo_app.render import render_scripts
    from batchvideo_assets.definitions import build_definitions
    from batchvideo_assets.resources import media_store
    from batchvideo_assets.writeback import write_back
    from batchvideo_resources.db import Script, session_scope
    from batchvideo_resources.db.models import utcnow
    from batchvideo_resources.db.script_runs import latest_run
    from batchvideo_resources.outputs import collect_outputs, published

    media = media_store()
    sid = add(prepared_db, title="Publish", content="The first version of this script. It is short.",
              language="en-US", account="demo")
    (first,) = render_scripts([str(sid)], instance=instance, in_process=True)
    assert first["status"] == "SUCCESS", first["error"]
    good = _digests(first["outputs"])
    assert set(good) >= {"audio/0", "srt/0", "logoed_video/0", "cover/0"}

    # An edit, re-rendered with an image server that is down: audio and subtitles are made again,
    # then the run fails at `images`.
    with session_scope(prepared_db) as s:
        s.execute(update(Script).where(Script.id == sid).values(content="A second, different version. "
                                                                        "It is a little longer than the first."))
    monkeypatch.setenv("BATCHVIDEO_IMAGE_BACKEND", "http")
    monkeypatch.setenv("BATCHVIDEO_IMAGE_URL", "http://127.0.0.1:9")
    (second,) = render_scripts([str(sid)], instance=instance, in_process=True)
    monkeypatch.delenv("BATCHVIDEO_IMAGE_BACKEND")
    monkeypatch.delenv("BATCHVIDEO_IMAGE_URL")
    assert second["status"] == "FAILED" and second["error"].startswith("images"), second["error"]
    remade = json.loads(media.read_bytes(f"jobs/{sid}/manifests/audio.json"))
    assert second["run_id"] in remade["key"]  # the failed run did write new narration …
    assert collect_outputs(media, sid) == first["outputs"]  # … but the published set is the first run's
    assert _digests(first["outputs"]) == good  # byte for byte: nothing overwritten in place
    assert latest_run(prepared_db, sid).status == "FAILED" and not latest_run(prepared_db, sid).outputs

    # A run that finishes after its script was soft-deleted publishes nothing.
    job = build_definitions().resolve_job_def("render_video")
    result = job.execute_in_process(instance=instance, partition_key=str(sid), raise_on_error=False,
                                    tags={"dagster/partition": str(sid)})
    assert result.success
    with session_scope(prepared_db) as s:
        s.execute(update(Script).where(Script.id == sid).values(deleted_at=utcnow()))
    run = instance.get_run_by_id(result.run_id)
    write_back(instance, run, "SUCCESS", prepared_db, media)
    row = latest_run(prepared_db, sid)
    assert row.run_id == result.run_id and row.status == "CANCELED" and "not published" in row.status_detail
    assert not row.outputs
    assert published(media, sid)["run_id"] == first["run_id"]
    assert _digests(collect_outputs(media, sid)) == good
    # every stage of the published set comes from one run
    assert {uri.split("/runs/")[1].split("/")[0] for stage, value in collect_outputs(media, sid).items()
            for uri in (value if isinstance(value, list) else [value])} == {first["run_id"]}
    # Old run folders are pruned at each write-back: the failed run's files, superseded by the third
    # run's, are gone; the published run's and the one the latest manifests point into remain.
    kept = {key.split("/")[3] for key in media.list_keys(f"jobs/{sid}/runs/")}
    assert kept == {first["run_id"], result.run_id}, kept


# ------------------------------------------------------------------ 3. import: encodings, header, bad lines
def test_import_takes_bom_requires_a_header_refuses_other_encodings_and_skips_only_bad_lines(db_url, tmp_path,
                                                                                              monkeypatch):
    from click.testing import CliRunner
    from sqlalchemy import select

    from batchvideo_app.cli import main
    from batchvideo_resources.db import Script, session_scope

    monkeypatch.setenv("BATCHVIDEO_DB_URL", db_url)
    runner = CliRunner()

    def run(name: str, data: bytes):
        path = tmp_path / name
        path.write_bytes(data)
        return runner.invoke(main, ["scripts", "import", str(path)])

    excel = ("\ufefftitle,content,priority\nBOM one,The first line imports.,1\n"
             "Huge,Too high a priority.,10000000000000\nBOM two,The third line imports too.,2\n").encode()
    result = run("excel.csv", excel)
    ids = [int(x) for x in result.stdout.split()]
    assert result.exit_code == 1 and len(ids) == 2, result.output
    assert "excel.csv:3: priority:" in result.stderr and "Traceback" not in result.output
    with session_scope(db_url) as s:
        assert sorted(s.scalars(select(Script.title).where(Script.id.in_(ids)))) == ["BOM one", "BOM two"]

    deep = '{"title": "deep", "content": "Deep extra.", "extra": ' + '{"a": ' * 3000 + "1" + "}" * 3000 + "}"
    lines = [deep, '{"title": "big", "content": "Big.", "priority": 1e19}', "{oops",
             '{"title": "fine", "content": "This one is fine."}']
    result = run("mixed.jsonl", "\n".join(lines).encode())
    assert result.exit_code == 1 and len(result.stdout.split()) == 1, result.output
    *reported, summary = result.stderr.splitlines()
    assert [line.split(":")[1] for line in reported] == ["1", "2", "3"] and "3 line(s) skipped" in summary, result.stderr

    for name, data, words in [
        ("noheader.csv", b"A title,Some content.\n", "header"),
        ("latin1.csv", "title,content\nCaf\xe9,Bonjour.\n".encode("latin-1"), "not UTF-8"),
        ("utf16.csv", "title,content\nA,Hello.\n".encode("utf-16"), "UTF-16"),
    ]:
        result = run(name, data)
        assert result.exit_code == 1 and result.stdout == "", result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.output, result.output
