"""The media store against a real S3 API server on loopback (moto_server): streaming, atomic writes,
presigned URLs; and the local folder default."""

import os
import socket
import subprocess
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

import httpx
import pytest

from batchvideo_app.local_daemon import stop_group
from batchvideo_media.files import atomic_write
from batchvideo_media.probe import MediaError, probe, run_ffmpeg
from batchvideo_resources.media_store import MediaStore

MOTO = Path(sys.executable).with_name("moto_server")
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 API (moto_server) on a free loopback port; yields its endpoint URL.

    Dummy AWS credentials are set for the whole session (nothing else in the tests talks to AWS)."""
    for name, value in AWS_ENV.items():
        os.environ.setdefault(name, value)
    port = _free_port()
    proc = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        stop_group(proc, 10)


def make_bucket(endpoint: str) -> str:
    import boto3

    name = f"bv-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture
def store(s3_server) -> MediaStore:
    return MediaStore(url=f"s3://{make_bucket(s3_server)}/studio/prod", s3_endpoint_url=s3_server,
                      multipart_chunk_mb=5)


def test_put_read_fetch_and_uris(store, tmp_path):
    src = tmp_path / "a.wav"
    src.write_bytes(b"RIFF" + os.urandom(1000))
    uri = store.put_file(src, "jobs/7/audio.wav")
    bucket = store.root_url.split("/")[2]
    assert uri == f"s3://{bucket}/studio/prod/jobs/7/audio.wav"
    assert store.key_of(uri) == "jobs/7/audio.wav"
    assert store.exists("jobs/7/audio.wav") and not store.exists("jobs/7/missing.wav")
    assert store.read_bytes("jobs/7/audio.wav") == src.read_bytes()
    store.put_bytes(b'{"a": 1}', "jobs/7/manifests/audio.json")
    assert store.list_keys("jobs/7/") == ["jobs/7/audio.wav", "jobs/7/manifests/audio.json"]
    local = store.local_path("jobs/7/audio.wav", tmp_path / "work")
    assert local.read_bytes() == src.read_bytes()
    with pytest.raises(FileNotFoundError):
        store.fetch("jobs/7/none.mp4", tmp_path / "none.mp4")
    assert not (tmp_path / "none.mp4").exists()
    head = store._s3().head_object(Bucket=bucket, Key="studio/prod/jobs/7/audio.wav")
    assert head["ContentType"] == "audio/wav"


def test_presigned_url_fetches_the_bytes(store, tmp_path):
    data = os.urandom(300_000)
    store.put_bytes(data, "jobs/8/cover.jpg")
    url = store.public_url("jobs/8/cover.jpg")
    assert url.startswith("http://127.0.0.1:") and "X-Amz-Signature=" in url and "X-Amz-Expires=604800" in url
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-type"] == "image/jpeg"
    # Without the signature the object is not public.
    assert httpx.get(url.split("?")[0], timeout=10).status_code == 403


def test_presigned_url_uses_the_public_endpoint(s3_server):
    # Workers reach MinIO as http://minio:9000, viewers as http://localhost:9000: sign for the latter.
    bucket = make_bucket(s3_server)
    store = MediaStore(url=f"s3://{bucket}", s3_endpoint_url=s3_server, presign_seconds=600,
                       s3_public_endpoint_url=s3_server.replace("127.0.0.1", "localhost"))
    store.put_bytes(b"hello", "jobs/1/subtitle.srt")
    url = store.public_url("jobs/1/subtitle.srt")
    assert url.startswith(s3_server.replace("127.0.0.1", "localhost") + f"/{bucket}/jobs/1/subtitle.srt?")
    assert "X-Amz-Expires=600" in url
    assert httpx.get(url, timeout=10).content == b"hello"


def test_large_files_stream_in_parts_without_whole_file_in_memory(store, tmp_path):
    size = 40 * 1024 * 1024
    src = tmp_path / "big.mp4"
    with src.open("wb") as f:
        for _ in range(size // (1024 * 1024)):
            f.write(os.urandom(1024 * 1024))
    parts = []
    store._s3().meta.events.register("before-call.s3.UploadPart", lambda params, **_: parts.append(1))
    tracemalloc.start()
    try:
        store.put_file(src, "jobs/9/video_combined.mp4")
        store.fetch("jobs/9/video_combined.mp4", tmp_path / "back.mp4")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(parts) == 8  # 40 MiB in 5 MiB parts
    assert peak < size / 2, f"peak Python memory {peak / 2**20:.1f} MiB for a {size / 2**20:.0f} MiB file"
    assert (tmp_path / "back.mp4").stat().st_size == size
    with src.open("rb") as a, (tmp_path / "back.mp4").open("rb") as b:
        assert a.read() == b.read()
    assert not list(tmp_path.glob(".*.part"))


def test_failed_upload_leaves_no_partial_object(store, tmp_path):
    key = "jobs/10/video_logoed.mp4"
    store.put_bytes(b"previous version", key)
    src = tmp_path / "big.mp4"
    src.write_bytes(os.urandom(12 * 1024 * 1024))  # three 5 MiB parts
    calls = []

    def explode(params, **_):
        calls.append(params["PartNumber"])
        if params["PartNumber"] == 2:
            raise ConnectionError("network dropped mid-upload")

    client = store._s3()
    client.meta.events.register("before-parameter-build.s3.UploadPart", explode)
    with pytest.raises(ConnectionError):
        store.put_file(src, key)
    client.meta.events.unregister("before-parameter-build.s3.UploadPart", explode)
    assert calls
    # The old object is untouched and the aborted multipart upload left nothing behind.
    assert store.read_bytes(key) == b"previous version"
    bucket, _ = store._bucket_prefix
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    assert store.list_keys("jobs/10/") == ["jobs/10/video_logoed.mp4"]


def test_local_store_is_atomic(tmp_path):
    store = MediaStore(url=(tmp_path / "media").as_uri())
    assert not store.is_s3
    src = tmp_path / "x.png"
    src.write_bytes(b"png")
    uri = store.put_file(src, "jobs/1/images/000.png")
    assert uri == (tmp_path / "media/jobs/1/images/000.png").as_uri()
    assert store.key_of(uri) == "jobs/1/images/000.png"
    assert store.public_url("jobs/1/images/000.png") == uri
    assert store.list_keys("jobs/1") == ["jobs/1/images/000.png"]
    assert store.fetch("jobs/1/images/000.png", tmp_path / "out" / "y.png").read_bytes() == b"png"
    assert [p.name for p in (tmp_path / "media").rglob("*") if p.is_file()] == ["000.png"]  # no temp file left


def test_atomic_write_renames_on_success_and_leaves_the_old_file_on_failure(tmp_path):
    dest = tmp_path / "sub" / "tone.wav"
    with atomic_write(dest) as tmp:
        assert tmp.parent == dest.parent and tmp.suffix == ".wav" and not dest.exists()
        run_ffmpeg(["-f", "lavfi", "-i", "sine=d=0.5", str(tmp)])  # ffmpeg picks WAV from the suffix
    assert probe(dest).audio_codec == "pcm_s16le"
    before = dest.read_bytes()
    with pytest.raises(MediaError):
        with atomic_write(dest) as tmp:
            tmp.write_bytes(b"half a file")
            run_ffmpeg(["-i", str(tmp_path / "missing.wav"), str(tmp)])
    assert dest.read_bytes() == before
    assert [p.name for p in dest.parent.iterdir()] == ["tone.wav"]


def test_manifests_refuse_a_value_that_breaks_the_schema():
    """A stage that writes a misspelt or missing field fails there, naming the field."""
    import pytest
    from pydantic import ValidationError

    from batchvideo_resources.manifests import validated

    good = {"key": "jobs/1/audio.wav", "uri": "file:///x/jobs/1/audio.wav", "duration_ms": 1200, "pause_ms": 300,
            "source": "espeak-ng", "sentences": [{"text": "Hi.", "start_ms": 0, "end_ms": 900, "cues": []}]}
    assert validated("audio", good).model_dump(mode="json") == good
    with pytest.raises(ValidationError, match="duration_ms"):
        validated("audio", {k: v for k, v in good.items() if k != "duration_ms"})
    with pytest.raises(ValidationError, match="durationms"):
        validated("audio", {**good, "durationms": 1})
    with pytest.raises(ValidationError, match="kind"):
        validated("splits", {"key": "k", "uri": "u", "prompt_source": "template", "min_shot_s": 7.0,
                             "shots": [{"index": 0, "start_ms": 0, "end_ms": 10, "text": "t", "prompt": "p",
                                        "keywords": [], "kind": "video"}]})


def test_local_previews_open_over_http(tmp_path):
    """Locally, preview links point at the http server `make dev` starts over the media root (a browser on
    the UI's http page will not open file:// links); the bytes served are the stored file's."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from batchvideo_resources.media_store import MediaStore

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = MediaStore(url=(tmp_path / "media").as_uri(), http_url=f"http://127.0.0.1:{port}")
    store.put_bytes(b"cover bytes", "jobs/7/cover 1.jpg")
    url = store.public_url("jobs/7/cover 1.jpg")
    assert url == f"http://127.0.0.1:{port}/jobs/7/cover%201.jpg"
    assert MediaStore(url=(tmp_path / "media").as_uri()).public_url("jobs/7/cover 1.jpg").startswith("file://")
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(tmp_path / "media")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert response.read() == b"cover bytes"
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        stop_group(server, 10)


def test_delete_prefix_removes_a_run_folder_and_nothing_beside_it(store, tmp_path):
    src = tmp_path / "f.bin"
    src.write_bytes(b"x")
    for key in ("jobs/1/runs/a/audio.wav", "jobs/1/runs/a/manifests/audio.json", "jobs/1/runs/ab/audio.wav",
                "jobs/1/published.json"):
        store.put_file(src, key)
    assert store.delete_prefix("jobs/1/runs/a/") == 2
    assert store.list_keys("jobs/1/") == ["jobs/1/published.json", "jobs/1/runs/ab/audio.wav"]
    with pytest.raises(ValueError):
        store.delete_prefix("jobs/1/runs/ab")  # a bare prefix would also match "abc/"


def test_prune_runs_keeps_the_published_the_referenced_and_the_unfinished(tmp_path):
    import json

    from batchvideo_resources.outputs import prune_runs

    media = MediaStore(url=tmp_path.as_uri())
    for run in ("published", "built-on", "old", "failed", "running"):
        media.put_bytes(b"media", f"jobs/7/runs/{run}/audio.wav")
    media.put_bytes(b"other script", "jobs/17/runs/old/audio.wav")
    media.put_bytes(json.dumps({"run_id": "published", "created_at": 1, "stages": {
        "audio": {"key": "jobs/7/runs/published/audio.wav"}}}).encode(), "jobs/7/published.json")
    # the latest `srt` came from a later run that failed after it (a re-execution builds on it)
    media.put_bytes(json.dumps({"key": "jobs/7/runs/built-on/subtitle.srt",
                                "uri": media.uri("jobs/7/runs/built-on/subtitle.srt")}).encode(),
                    "jobs/7/manifests/srt.json")
    pruned = prune_runs(media, 7, run_finished=lambda run_id: run_id != "running")
    assert sorted(pruned) == ["failed", "old"]
    assert {key.split("/")[3] for key in media.list_keys("jobs/7/runs/")} == {"published", "built-on", "running"}
    assert media.exists("jobs/17/runs/old/audio.wav")  # another script's folders are not touched
    assert prune_runs(media, 7, run_finished=lambda run_id: True) == ["running"]
