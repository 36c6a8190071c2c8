"""Stock b-roll: keyword matching, the three library backends (local folder, S3 prefix on a real moto
server, Pexels API against a local server speaking its response shape), and the `broll_clips` asset
(no clip twice in a video, recent clips of the account avoided, one shot redone without touching others)."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import dagster as dg
import pytest
from conftest import add, frame
from helpers import path_of, streams

from batchvideo_app.local_daemon import stop_group
from batchvideo_media.probe import probe, run_ffmpeg
from batchvideo_resources.stock import (
    PEXELS_LICENCE,
    StockLibraryResource,
    create_sample_library,
    cut_clip,
    keyword_overlap,
    rank_clips,
)

# The b-roll asset renders at the small test canvas (its size check compares with it).
pytestmark = [pytest.mark.media, pytest.mark.small_canvas]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_cut(path: Path, seconds: float, size=(1360, 768)) -> None:
    (video,) = streams(path, "video")
    assert (video["width"], video["height"]) == size
    assert not streams(path, "audio"), "b-roll must carry no audio"
    assert abs(probe(path).duration_s - seconds) < 0.1


# ---------------------------------------------------------------------- matching
def test_keyword_overlap_counts_word_forms():
    assert keyword_overlap(["Oceans", "waves", "the"], ["ocean", "wave", "beach"]) == 2
    assert keyword_overlap(["city"], ["nature"]) == 0


def test_ranking_prefers_unused_then_not_recent_then_relevant():
    clips = [{"id": "sea", "tags": ["ocean", "waves"], "duration_s": 10},
             {"id": "sea2", "tags": ["ocean"], "duration_s": 10},
             {"id": "town", "tags": ["city"], "duration_s": 10},
             {"id": "short-sea", "tags": ["ocean", "waves"], "duration_s": 1}]
    best = lambda **kw: rank_clips(clips, ["ocean", "waves"], seed="s", **kw)[0]["id"]  # noqa: E731
    assert best(used_in_video=set(), recent_uses=Counter(), min_duration_s=5) == "sea"
    assert best(used_in_video={"sea"}, recent_uses=Counter(), min_duration_s=5) == "short-sea"
    assert best(used_in_video=set(), recent_uses=Counter({"sea": 1, "short-sea": 2}), min_duration_s=5) == "sea2"
    # Everything used in this video: the least bad clip still comes back (the asset records the reuse).
    assert best(used_in_video={c["id"] for c in clips}, recent_uses=Counter(), min_duration_s=0) in {"sea",
                                                                                                    "short-sea"}


# ---------------------------------------------------------------------- local folder
@pytest.fixture(scope="module")
def sample_library(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("stock")
    create_sample_library(root, seconds=2)
    return root


def test_local_library_choose_fetch_and_cut(sample_library, tmp_path):
    stock = StockLibraryResource(root=str(sample_library))
    clip = stock.choose(["ocean", "music"], used_in_video=set(), seed="1")
    assert clip["id"] == "colour-flow"
    assert clip["licence"] and clip["source"]
    out = tmp_path / "cut.mp4"
    cut_clip(stock.fetch(clip), out, 3.2, 1360, 768)  # longer than the 2 s clip: looped
    _assert_cut(out, 3.2)
    portrait = tmp_path / "portrait.mp4"
    cut_clip(stock.fetch(clip), portrait, 1.0, 768, 1360)
    _assert_cut(portrait, 1.0, size=(768, 1360))


def test_local_index_entry_cannot_point_outside_the_library(sample_library):
    stock = StockLibraryResource(root=str(sample_library))
    with pytest.raises(ValueError, match="outside the library"):
        stock.fetch({"id": "evil", "file": "../../etc/passwd"})


# ---------------------------------------------------------------------- S3 prefix (moto server)
@pytest.fixture(scope="module")
def moto_s3():
    port = _free_port()
    server = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto_server did not start")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(proc, 10)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_s3_library_reads_the_same_index_and_downloads_clips(moto_s3, sample_library, tmp_path):
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1")
    s3.create_bucket(Bucket="footage")
    for path in sample_library.iterdir():
        if path.is_file() and not path.name.startswith("."):
            s3.upload_file(str(path), "footage", f"libraries/main/{path.name}")
    stock = StockLibraryResource(backend="s3", s3_url="s3://footage/libraries/main", s3_endpoint_url=moto_s3,
                                 cache_dir=str(tmp_path / "cache"))
    assert {c["id"] for c in stock.index()} == {c["id"] for c in json.loads(
        (sample_library / "index.json").read_text())["clips"]}
    clip = stock.choose(["finance", "market"], used_in_video=set(), seed="1")
    assert clip["id"] == "rgb-grid"
    local = stock.fetch(clip)
    assert local.is_relative_to(tmp_path / "cache")
    assert local.read_bytes() == (sample_library / clip["file"]).read_bytes()
    out = tmp_path / "cut.mp4"
    cut_clip(local, out, 1.5, 1360, 768)
    _assert_cut(out, 1.5)
    assert stock.description == "s3://footage/libraries/main"


# ---------------------------------------------------------------------- Pexels API (local server)
PEXELS_KEY = "test-pexels-key-123"
PEXELS_VIDEOS = [(1001, "aerial-view-of-ocean-waves", "Ana"), (1002, "city-traffic-at-night", "Bo"),
                 (1003, "forest-path-in-autumn", "Cy")]


@pytest.fixture(scope="module")
def pexels_server(tmp_path_factory):
    media = tmp_path_factory.mktemp("pexels") / "clip.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25", "-f", "lavfi", "-i", "sine=f=440",
                "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(media)])
    log: dict[str, list] = {"search": [], "files": [], "auth": []}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urlparse(self.path)
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if url.path == "/videos/search":
                log["auth"].append(self.headers.get("Authorization"))
                if self.headers.get("Authorization") != PEXELS_KEY:
                    return self._send(401, b'{"error": "unauthorized"}', "application/json")
                query = parse_qs(url.query)
                log["search"].append(query)
                words = query["query"][0].lower().split()
                videos = [{
                    "id": vid, "width": 1920, "height": 1080, "duration": 12,
                    "url": f"https://www.pexels.com/video/{slug}-{vid}/", "image": f"{base}/pictures/{vid}.jpg",
                    "user": {"id": 7, "name": author, "url": f"https://www.pexels.com/@{author.lower()}"},
                    "video_files": [
                        {"id": vid * 10, "quality": "sd", "file_type": "video/mp4", "width": 640, "height": 360,
                         "fps": 25, "link": f"{base}/files/{vid}-sd.mp4"},
                        {"id": vid * 10 + 1, "quality": "hd", "file_type": "video/mp4", "width": 1920,
                         "height": 1080, "fps": 25, "link": f"{base}/files/{vid}-hd.mp4"}],
                    "video_pictures": []} for vid, slug, author in PEXELS_VIDEOS if any(w in slug for w in words)]
                body = {"page": 1, "per_page": int(query["per_page"][0]), "total_results": len(videos),
                        "url": f"https://www.pexels.com/search/videos/{query['query'][0]}/", "videos": videos}
                return self._send(200, json.dumps(body).encode(), "application/json")
            if url.path.startswith("/files/"):
                log["files"].append(url.path)
                return self._send(200, media.read_bytes(), "video/mp4")
            self._send(404, b"", "text/plain")

        def _send(self, status: int, body: bytes, kind: str):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", log
    server.shutdown()


def test_pexels_client_searches_downloads_and_records_licence(pexels_server, tmp_path):
    url, log = pexels_server
    stock = StockLibraryResource(backend="pexels", pexels_url=url, pexels_api_key=PEXELS_KEY,
                                 cache_dir=str(tmp_path / "cache"))
    clip = stock.choose(["ocean", "waves", "sunset"], used_in_video=set(), seed="1", orientation="landscape")
    assert clip["id"] == "pexels:1001"
    assert clip["licence"] == PEXELS_LICENCE
    assert "pexels.com/video/aerial-view-of-ocean-waves-1001" in clip["source"] and "Ana" in clip["source"]
    assert PEXELS_KEY not in json.dumps(clip)
    assert log["search"][0]["orientation"] == ["landscape"]
    local = stock.fetch(clip)
    assert log["files"][-1] == "/files/1001-hd.mp4"  # the smallest rendition that covers 1360 px
    out = tmp_path / "cut.mp4"
    cut_clip(local, out, 1.2, 1360, 768)
    _assert_cut(out, 1.2)
    # Used already in this video → another result of the searches.
    other = stock.choose(["ocean", "city"], used_in_video={"pexels:1001"}, seed="1")
    assert other["id"] == "pexels:1002"


def test_pexels_without_key_says_which_variable(pexels_server):
    stock = StockLibraryResource(backend="pexels", pexels_url=pexels_server[0])
    with pytest.raises(RuntimeError, match="PEXELS_API_KEY"):
        stock.choose(["ocean"], used_in_video=set(), seed="1")


# ---------------------------------------------------------------------- the broll_clips asset
def _broll_assets():
    from batchvideo_assets.defs.script.assets import script
    from batchvideo_assets.defs.speech.assets import audio, srt
    from batchvideo_assets.defs.storyboard.assets import splits
    from batchvideo_assets.defs.visuals.assets import broll_clips

    return [script, audio, srt, splits, broll_clips]


CONTENT = ("Markets opened higher today. Investors watched the economy closely. Office workers returned to the city. "
           "Finance news spread on television. Business leaders met in the evening. The day ended calmly.")


def _render_broll(prepared_db, instance, run_config=None, pid=None, selection=None):
    from batchvideo_assets.partitions import scripts_partitions
    from batchvideo_assets.resources import build_resources

    if pid is None:
        pid = str(add(prepared_db, title="Markets", content=CONTENT, language="en-US", account="plain",
                      extra={"broll_ratio": 0.6}))
        instance.add_dynamic_partitions(scripts_partitions.name, [pid])
    config = run_config or {"ops": {"splits": {"config": {"min_shot_s": 1.5}}}}
    result = dg.materialize(_broll_assets(), selection=selection, partition_key=pid, instance=instance,
                            resources=build_resources(), run_config=config)
    assert result.success
    return pid, result


@pytest.fixture(scope="module")
def broll_video(prepared_db, instance):
    return _render_broll(prepared_db, instance)


def test_broll_asset_cuts_distinct_clips_and_avoids_the_accounts_recent_ones(broll_video, prepared_db, instance):
    pid, result = broll_video
    shots = result.output_for_node("splits").shots
    clips = result.output_for_node("broll_clips").clips
    broll = [s for s in shots if s.kind == "broll"]
    assert shots[0].kind == "image" and len(broll) >= 2
    assert set(clips) == {str(s.index) for s in broll}
    ids = [c.clip_id for c in clips.values()]
    assert len(set(ids)) == len(ids), "no clip twice in one video"
    for shot in broll:
        entry = clips[str(shot.index)]
        assert entry.licence and entry.source and entry.keywords == shot.keywords
        _assert_cut(path_of(entry.uri), (shot.end_ms - shot.start_ms) / 1000, size=frame())

    # The next video of the same account gets clips the first one did not use (the library has enough).
    _, second = _render_broll(prepared_db, instance)
    second_ids = {c.clip_id for c in second.output_for_node("broll_clips").clips.values()}
    assert not second_ids & set(ids)
    meta = second.asset_materializations_for_node("broll_clips")[0].metadata
    assert meta["avoided_recent_clips"].value >= len(ids)


def test_broll_regenerating_one_shot_picks_another_clip_and_keeps_the_rest(broll_video, prepared_db, instance):
    pid, first = broll_video
    before = first.output_for_node("broll_clips").clips
    files = {k: path_of(v.uri) for k, v in before.items()}
    stamps = {k: (p.read_bytes(), p.stat().st_mtime_ns) for k, p in files.items()}
    chosen = sorted(before, key=int)[0]
    _, again = _render_broll(prepared_db, instance, pid=pid, selection=["broll_clips"],
                             run_config={"ops": {"broll_clips": {"config": {"shots": [int(chosen)]}}}})
    after = again.output_for_node("broll_clips").clips
    assert after[chosen].clip_id != before[chosen].clip_id
    assert after[chosen].clip_id not in {v.clip_id for k, v in after.items() if k != chosen}
    for k, p in files.items():
        if k == chosen:  # a new file of this run; the earlier run's file stays as it was
            new = path_of(after[k].uri)
            assert new != p and new.read_bytes() != stamps[k][0]
            assert (p.read_bytes(), p.stat().st_mtime_ns) == stamps[k]
        else:
            assert after[k] == before[k] and (p.read_bytes(), p.stat().st_mtime_ns) == stamps[k]


def test_setup_sample_library_has_tagged_licensed_clips(prepared_db):
    from batchvideo_assets.resources import build_resources

    stock = build_resources()["stock"]
    clips = stock.index()
    assert len(clips) >= 8
    for clip in clips:
        assert clip["licence"] and clip["source"] and clip["tags"] and stock.fetch(clip).is_file()
