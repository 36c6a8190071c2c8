"""The presenter: where its clips go (snapped to shots), the labelled placeholder, the HTTP lip-sync
backend against a local server speaking the contract, and the `digital_human` asset end to end."""

import io
import threading
import time
import wave
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest
from conftest import add
from helpers import ffprobe, path_of, streams

from batchvideo_media.probe import probe, run_ffmpeg
from batchvideo_resources import settings
from batchvideo_resources.http_retry import ServiceUnavailable
from batchvideo_resources.lipsync import (
    LipSyncResource,
    presenter_spans,
    render_default_avatar,
)
from batchvideo_resources.manifests import DigitalHumanManifest

pytestmark = pytest.mark.media

SHOTS = [{"start_ms": 0, "end_ms": 3000}, {"start_ms": 3000, "end_ms": 6500},
         {"start_ms": 6500, "end_ms": 9000}, {"start_ms": 9000, "end_ms": 12000}]


# ---------------------------------------------------------------------- spans
def test_fullscreen_intro_and_outro_snap_to_shot_boundaries():
    assert presenter_spans(SHOTS, 12000, "fullscreen", intro_s=4, outro_s=2.5) == [(0, 6500), (9000, 12000)]
    assert presenter_spans(SHOTS, 12000, "fullscreen", intro_s=3, outro_s=3) == [(0, 3000), (9000, 12000)]
    assert presenter_spans(SHOTS, 12000, "fullscreen", intro_s=0, outro_s=4) == [(6500, 12000)]
    assert presenter_spans(SHOTS, 12000, "fullscreen", intro_s=2, outro_s=0) == [(0, 3000)]


def test_fullscreen_intro_meeting_outro_becomes_one_clip_and_corner_covers_the_narration():
    assert presenter_spans(SHOTS, 12000, "fullscreen", intro_s=7, outro_s=6) == [(0, 12000)]
    assert presenter_spans(SHOTS, 12000, "corner", intro_s=3, outro_s=3) == [(0, 12000)]


# ---------------------------------------------------------------------- placeholder
@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=f=300:d=1.6", "-ar", "24000", "-ac", "1", str(path)])
    return path


def _assert_presenter(path: Path, size: tuple[int, int], seconds: float) -> None:
    (video,) = streams(path, "video")
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert (video["width"], video["height"]) == size
    assert not streams(path, "audio")
    assert abs(probe(path).duration_s - seconds) < 0.1, probe(path).duration_s


def test_placeholder_with_default_avatar_image_or_video_loop(speech, tmp_path):
    lipsync = LipSyncResource()
    out = tmp_path / "default.mp4"
    lipsync.render(None, speech, out, 640, 360)
    _assert_presenter(out, (640, 360), 1.6)
    assert "placeholder" in lipsync.model_name

    avatar = render_default_avatar(tmp_path / "avatar.png", 300, 400)
    still = tmp_path / "still.mp4"
    lipsync.render(avatar, speech, still, 360, 640)
    _assert_presenter(still, (360, 640), 1.6)

    loop = tmp_path / "loop.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "0.5", "-c:v", "libx264", str(loop)])
    looped = tmp_path / "looped.mp4"
    lipsync.render(loop, speech, looped, 640, 360)
    _assert_presenter(looped, (640, 360), 1.6)


# ---------------------------------------------------------------------- http backend
@pytest.fixture
def lipsync_server(tmp_path):
    seen: list[dict] = []
    state = {"fail_first": 1, "delay_s": 0.0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state["delay_s"]:
                time.sleep(state["delay_s"])
            if state["fail_first"] > 0:
                state["fail_first"] -= 1
                self.send_response(503)
                self.end_headers()
                return
            message = BytesParser(policy=email_policy).parsebytes(
                b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
            parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
            seen.append({name: part.get_filename() or part.get_content() for name, part in parts.items()})
            with wave.open(io.BytesIO(parts["audio"].get_payload(decode=True))) as w:
                seconds = w.getnframes() / w.getframerate()
            # A square, slightly short answer with its own audio: the client must normalise it.
            answer = tmp_path / f"answer_{len(seen)}.mp4"
            run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=256x256:rate=25", "-f", "lavfi", "-i", "sine",
                        "-t", f"{seconds - 0.2:.3f}", "-c:v", "libx264", "-c:a", "aac", "-shortest", str(answer)])
            data = answer.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen, state
    server.shutdown()


def test_http_backend_posts_reference_and_audio_retries_and_normalises(lipsync_server, speech, tmp_path):
    url, seen, _ = lipsync_server
    avatar = render_default_avatar(tmp_path / "face.png")
    out = tmp_path / "synced.mp4"
    lipsync = LipSyncResource(backend="http", url=url, timeout_s=20, attempts=3)
    lipsync.render(avatar, speech, out, 640, 360)
    _assert_presenter(out, (640, 360), 1.6)
    assert len(seen) == 1  # the 503 before it was retried
    assert seen[0]["reference"] == "face.png" and seen[0]["audio"] == "speech.wav"
    assert (seen[0]["width"].strip(), seen[0]["height"].strip(), seen[0]["fps"].strip()) == ("640", "360", "25")


def test_http_backend_gives_up_on_a_server_that_never_answers_in_time(lipsync_server, speech, tmp_path):
    url, _, state = lipsync_server
    state["delay_s"] = 1.5
    lipsync = LipSyncResource(backend="http", url=url, timeout_s=0.3, attempts=2)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="did not answer within"):
        lipsync.render(None, speech, tmp_path / "never.mp4", 640, 360)
    assert time.monotonic() - started < 5


# ---------------------------------------------------------------------- the digital_human asset
def _presenter_account(name: str, mode: str, intro_s: float, outro_s: float, avatar: str | None) -> str:
    from sqlalchemy import select

    from batchvideo_resources.db import Account, session_scope

    with session_scope(settings.db_url()) as session:
        if not session.scalar(select(Account).where(Account.username == name)):
            session.add(Account(username=name, subtitle_background="#222222", extra={},
                                digital_human={"avatar": avatar, "mode": mode, "intro_s": intro_s,
                                               "outro_s": outro_s}))
    return name


def _presenter_assets():
    from batchvideo_assets.defs.script.assets import script
    from batchvideo_assets.defs.speech.assets import audio, srt
    from batchvideo_assets.defs.storyboard.assets import splits
    from batchvideo_assets.defs.visuals.digital_human import digital_human

    return [script, audio, srt, splits, digital_human]


CONTENT = ("Welcome back to the channel. Today we look at rivers. Water always finds a way down. "
           "Rain feeds small streams. Streams join into rivers. Rivers carve valleys over time. See you next time.")


def _materialize(prepared_db, instance, content=CONTENT, **script_fields):
    from batchvideo_assets.partitions import scripts_partitions
    from batchvideo_assets.resources import build_resources

    pid = str(add(prepared_db, title="Rivers", content=content, language="en-US", **script_fields))
    instance.add_dynamic_partitions(scripts_partitions.name, [pid])
    result = dg.materialize(_presenter_assets(), partition_key=pid, instance=instance, resources=build_resources(),
                            run_config={"ops": {"splits": {"config": {"min_shot_s": 1.5}}}})
    assert result.success
    return result


def test_digital_human_fullscreen_intro_outro_on_shot_boundaries(prepared_db, instance):
    from batchvideo_app.catalog import default_asset_root

    render_default_avatar(default_asset_root() / "host.png", 320, 400)
    account = _presenter_account("presenter-fs", "fullscreen", 2.0, 2.0, "host.png")
    result = _materialize(prepared_db, instance, account=account, extra={"enable_digital_human": True})
    value = result.output_for_node("digital_human")
    shots = result.output_for_node("splits").shots
    assert isinstance(value, DigitalHumanManifest) and value.mode == "fullscreen"
    assert len(shots) >= 5 and len(value.clips) == 2
    intro, outro = value.clips
    assert set(intro.model_dump()) == {"key", "start_ms", "end_ms"}
    assert intro.start_ms == 0 and intro.end_ms in {s.end_ms for s in shots}
    assert intro.end_ms >= 2000 and outro.end_ms == shots[-1].end_ms
    assert outro.start_ms in {s.start_ms for s in shots} and outro.end_ms - outro.start_ms >= 2000
    from batchvideo_assets.resources import media_store

    media = media_store()
    for clip in value.clips:
        path = path_of(media.uri(clip.key))
        _assert_presenter(path, (1360, 768), (clip.end_ms - clip.start_ms) / 1000)
    meta = result.asset_materializations_for_node("digital_human")[0].metadata
    assert meta["avatar"].value == "host.png" and "placeholder" in meta["model"].value
    # Provenance: the engine, and the frames made for both clips at the resource's 25 fps.
    assert meta["engine"].value == "placeholder" and meta["model_revision"].value == "n/a"
    assert abs(meta["frames"].value - 25 * meta["presenter_seconds"].value) <= 2


def test_digital_human_corner_spans_the_whole_narration(prepared_db, instance):
    account = _presenter_account("presenter-corner", "corner", 3.0, 3.0, None)
    result = _materialize(prepared_db, instance, content="Rivers carve valleys. See you next time.",
                          account=account, is_horizontal=False, extra={"enable_digital_human": True})
    value = result.output_for_node("digital_human")
    narration_ms = result.output_for_node("audio").duration_ms
    assert value.mode == "corner"
    (clip,) = value.clips
    assert (clip.start_ms, clip.end_ms) == (0, narration_ms)
    from batchvideo_assets.resources import media_store

    path = path_of(media_store().uri(clip.key))
    _assert_presenter(path, (768, 1360), narration_ms / 1000)
    assert ffprobe(path)["format"]["format_name"].startswith("mov,mp4")


def test_digital_human_is_skipped_unless_the_script_enables_it(prepared_db, instance):
    account = _presenter_account("presenter-off", "fullscreen", 2.0, 2.0, None)
    result = _materialize(prepared_db, instance, content="Rivers carve valleys.", account=account)
    assert result.output_for_node("digital_human") == DigitalHumanManifest(mode="none", clips=[])
