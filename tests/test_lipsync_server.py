"""The MuseTalk lip-sync server (services/lipsync) for real: tiny random UNet2DConditionModel / AutoencoderKL /
Whisper built from their own config classes and saved in MuseTalk's `models/` layout, the server started as a
subprocess on 127.0.0.1 port 0, called through `LipSyncResource(backend="http")`. Outcomes are read back from
the video: size, fps, frame count, duration, pixels outside the mouth unchanged, the mouth changing with the
audio, and refusals naming the field. Its Kubernetes manifest is checked with the kubernetes client's models."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from helpers import ffprobe, model_server_manifest
from PIL import Image, ImageDraw, ImageFilter

from batchvideo_app.local_daemon import stop_group
from batchvideo_media.probe import run_ffmpeg
from batchvideo_resources.http_retry import PermanentServiceError
from batchvideo_resources.lipsync import LipSyncResource

pytestmark = pytest.mark.media

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services" / "lipsync"))
import musetalk  # noqa: E402

FPS = 10  # few frames keep the CPU run short; the audio windows follow any fps
W, H = 320, 400


def drawn_face(path: Path, background=(70, 90, 120)) -> Path:
    """A flat drawn face OpenCV's frontal-face cascade finds (hair, brows, eyes, nose, mouth)."""
    img = Image.new("RGB", (W, H), background)
    d = ImageDraw.Draw(img)
    cx, cy = W // 2, H // 2
    d.ellipse((cx - 85, cy - 125, cx + 85, cy + 55), fill=(40, 30, 25))
    d.ellipse((cx - 75, cy - 95, cx + 75, cy + 95), fill=(225, 185, 160))
    for side in (-1, 1):
        ex, ey = cx + side * 32, cy - 20
        d.rectangle((ex - 22, ey - 26, ex + 22, ey - 18), fill=(60, 40, 30))
        d.ellipse((ex - 18, ey - 9, ex + 18, ey + 9), fill=(250, 250, 250))
        d.ellipse((ex - 8, ey - 8, ex + 8, ey + 8), fill=(40, 30, 30))
    d.polygon([(cx, cy - 10), (cx - 12, cy + 28), (cx + 12, cy + 28)], fill=(195, 150, 130))
    d.ellipse((cx - 30, cy + 45, cx + 30, cy + 62), fill=(150, 60, 60))
    img.filter(ImageFilter.GaussianBlur(2)).save(path)
    return path


def frames_of(path: Path, width: int, height: int) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3).astype(int)


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("lipsync-media")
    face = drawn_face(root / "face.png")
    plain = root / "plain.png"
    Image.fromarray(np.tile(np.linspace(40, 200, W, dtype=np.uint8)[None, :, None], (H, 1, 3))).save(plain)
    tone, other = root / "tone.wav", root / "other.wav"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=f=220:d=1.0", "-ar", "24000", "-ac", "1", str(tone)])
    run_ffmpeg(["-f", "lavfi", "-i", "anoisesrc=d=1.0:c=pink:a=0.8:seed=3", "-ar", "24000", "-ac", "1", str(other)])
    loop = root / "loop.mp4"
    run_ffmpeg(["-loop", "1", "-i", str(face), "-vf", "rotate=0.03*sin(2*PI*t),format=yuv420p", "-r", "10",
                "-t", "0.5", "-c:v", "libx264", str(loop)])
    # The reference through the same two H.264 encodes as a clip (server: crf 18, client: crf 20), so what
    # the codec alone changes (4:2:0 chroma at colour edges) is not mistaken for blending.
    still, baseline = root / "still.mp4", root / "baseline.mp4"
    run_ffmpeg(["-loop", "1", "-i", str(face), "-r", str(FPS), "-t", "1", "-c:v", "libx264", "-preset", "veryfast",
                "-crf", "18", "-pix_fmt", "yuv420p", str(still)])
    run_ffmpeg(["-i", str(still), "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                str(baseline)])
    with Image.open(face) as img:
        box = musetalk.detect_face(np.asarray(img.convert("RGB")), musetalk.cv2.CascadeClassifier(
            os.path.join(musetalk.cv2.data.haarcascades, "haarcascade_frontalface_default.xml")))
    assert box is not None, "the drawn face must be detectable for this module"
    return {"face": face, "plain": plain, "tone": tone, "other": other, "loop": loop, "box": box,
            "baseline": frames_of(baseline, W, H)}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    return musetalk.save_random_weights(tmp_path_factory.mktemp("lipsync-weights") / "models", tiny=True)


@pytest.fixture(scope="module")
def server(models, tmp_path_factory):
    root = tmp_path_factory.mktemp("lipsync-server")
    log_path = root / "server.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "services" / "lipsync" / "app.py"), "--model-dir",
                             str(models), "--port", "0", "--batch-size", "4", "--max-body-mb", "2",
                             "--max-audio-s", "5"],
                            env={**os.environ, "HF_HUB_OFFLINE": "1"}, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not (found := re.search(r"serving on 127\.0\.0\.1:(\d+)", log_path.read_text())):
            assert proc.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "lip-sync server did not come up"
            time.sleep(0.2)
        url = f"http://127.0.0.1:{found.group(1)}"
        assert httpx.get(f"{url}/health", timeout=5).json()["status"] == "ok"
        yield {"url": url}
    finally:
        stop_group(proc, 30)
        log.close()


def _render(server, reference: Path, audio: Path, out: Path, size=(W, H), face_box=None) -> dict:
    client = LipSyncResource(backend="http", url=server["url"], fps=FPS, timeout_s=120, attempts=1)
    return client.render(reference, audio, out, *size, face_box=face_box)


def _assert_clip(path: Path, size: tuple[int, int], seconds: float, frames: int) -> None:
    (video,) = [s for s in ffprobe(path)["streams"] if s["codec_type"] == "video"]
    assert (video["width"], video["height"]) == size
    assert video["r_frame_rate"] == f"{FPS}/1"
    assert abs(float(ffprobe(path)["format"]["duration"]) - seconds) < 0.06
    assert len(frames_of(path, *size)) == frames


def test_audio_windows_follow_musetalk_indexing():
    steps = np.arange(60, dtype=np.float32)[:, None, None] * np.ones((1, 3, 384), np.float32)  # 1.2 s, 3 layers
    windows = musetalk.audio_windows(steps, n_samples=16000, fps=25, n_frames=25)
    assert windows.shape == (25, musetalk.WINDOW * 3, 384)
    first = windows[:, ::3, 0]  # layer 0 of each of the 10 window steps
    # Frame i starts 2 frames (4 steps) before its own step 2i; padding is zeros; features end at 1.0 s.
    assert first[0].tolist() == [0, 0, 0, 0, 0, 1, 2, 3, 4, 5]
    assert first[10].tolist() == list(range(16, 26))
    assert first[24].tolist() == [44, 45, 46, 47, 48, 49, 0, 0, 0, 0]
    # At 10 fps (5 steps per frame) the same 10-step window stays around the frame: 4 steps before it.
    slow = musetalk.audio_windows(steps, n_samples=16000, fps=10, n_frames=10)[:, ::3, 0]
    assert slow[0].tolist() == [0, 0, 0, 0, 0, 1, 2, 3, 4, 5]
    assert slow[3].tolist() == list(range(11, 21))
    assert slow[9].tolist() == [41, 42, 43, 44, 45, 46, 47, 48, 49, 0]


@pytest.fixture(scope="module")
def talking(server, media, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("talking") / "talk.mp4"
    return {"path": out, "made": _render(server, media["face"], media["tone"], out)}


def test_detected_face_talks_and_only_the_mouth_changes(talking, media):
    out, made = talking["path"], talking["made"]
    _assert_clip(out, (W, H), 1.0, 10)
    assert made["engine"] == "musetalk-v1.5" and made["frames"] == 10 and made["seconds"] > 0
    assert made["model_revision"].startswith("unet-sha256:")
    clip = frames_of(out, W, H)
    x1, y1, x2, y2 = media["box"]
    y2 += 10  # v1.5 extra margin
    outside = np.ones((H, W), bool)
    outside[y1 - 8:y2 + 8, x1 - 8:x2 + 8] = False  # H.264 blocks may smear a few pixels past the box
    upper = np.zeros((H, W), bool)
    upper[y1 + 8:(y1 + y2) // 2 - 8, x1 + 8:x2 - 8] = True
    mouth = np.zeros((H, W), bool)
    mouth[(y1 + y2) // 2 + 16:y2 - 16, x1 + 16:x2 - 16] = True
    diff = np.abs(clip - media["baseline"]).mean(axis=-1)
    assert diff[:, outside].mean() < 0.3, diff[:, outside].mean()
    assert diff[:, upper].mean() < 1.0, diff[:, upper].mean()
    assert diff[:, mouth].mean() > 10, diff[:, mouth].mean()
    # The mouth moves over time: frames differ where the audio window differs.
    assert np.abs(clip[0] - clip[5]).mean(axis=-1)[mouth].mean() > 0.5


def test_the_mouth_follows_the_audio(server, talking, media, tmp_path):
    other = tmp_path / "other.mp4"
    _render(server, media["face"], media["other"], other)
    clip_a, clip_b = frames_of(talking["path"], W, H), frames_of(other, W, H)
    x1, y1, x2, y2 = media["box"]
    mouth = np.abs(clip_a - clip_b).mean(axis=-1)[:, (y1 + y2) // 2 + 16:y2 - 6, x1 + 16:x2 - 16]
    assert mouth.mean() > 1.0, mouth.mean()
    above = np.abs(clip_a - clip_b).mean(axis=-1)[:, :y1 - 8]
    assert above.mean() < 0.3, above.mean()
    # Same request, same video: the VAE's posterior mean is used, not a sample.
    again = tmp_path / "again.mp4"
    _render(server, media["face"], media["tone"], again)
    assert np.abs(frames_of(again, W, H) - clip_a).max() <= 2


def test_an_account_face_box_replaces_the_detector(server, media, tmp_path):
    box = [100, 120, 220, 260]
    out = tmp_path / "boxed.mp4"
    made = _render(server, media["plain"], media["tone"], out, face_box=box)
    _assert_clip(out, (W, H), 1.0, 10)
    assert made["frames"] == 10
    clip = frames_of(out, W, H)
    reference = np.asarray(Image.open(media["plain"]).convert("RGB")).astype(int)
    diff = np.abs(clip - reference[None]).mean(axis=-1)
    outside = np.ones((H, W), bool)
    outside[box[1] - 8:box[3] + 18, box[0] - 8:box[2] + 8] = False
    assert diff[:, outside].mean() < 1.5
    assert diff[:, 210:250, 120:200].mean() > 10  # lower half of the given box


def test_a_video_loop_at_another_size_and_a_picture_without_a_face(server, media, tmp_path):
    out = tmp_path / "loop.mp4"
    made = _render(server, media["loop"], media["tone"], out, size=(240, 240))
    _assert_clip(out, (240, 240), 1.0, 10)
    assert made["frames"] == 10
    with pytest.raises(PermanentServiceError, match="reference: no face found"):
        _render(server, media["plain"], media["tone"], tmp_path / "none.mp4")


def test_an_account_without_avatar_gets_the_default_silhouette_lip_synced(server, media, tmp_path):
    """The generated default avatar has no features a detector knows; the client sends its head box."""
    out = tmp_path / "default.mp4"
    made = _render(server, None, media["tone"], out, size=(360, 360))
    _assert_clip(out, (360, 360), 1.0, 10)
    assert made["frames"] == 10 and made["engine"] == "musetalk-v1.5"


def test_bad_requests_are_refused_naming_the_field(server, media):
    url = f"{server['url']}/lipsync"
    face, tone = media["face"].read_bytes(), media["tone"].read_bytes()
    fields = {"width": "320", "height": "400", "fps": "10"}

    def post(files=None, data=None):
        files = {"reference": ("face.png", face), "audio": ("tone.wav", tone)} if files is None else files
        return httpx.post(url, files=files, data={**fields, **(data or {})}, timeout=60)

    cases = [
        (post(files={"reference": ("face.png", face)}), "audio: missing"),
        (post(data={"width": "321"}), "width: expected an even integer"),
        (post(data={"fps": "0"}), "fps: expected an integer in [1, 60]"),
        (post(data={"height": "tall"}), "height: expected an integer"),
        (post(files={"reference": ("face.png", face), "audio": ("tone.wav", b"RIFF not really")}),
         "audio: not decodable"),
        (post(files={"reference": ("face.png", b"\x00" * 100), "audio": ("tone.wav", tone)}), "reference: "),
        (post(data={"face_box": "1,2,3"}), "face_box: expected"),
        (post(data={"face_box": "0,0,900,900"}), "face_box: "),
    ]
    for response, message in cases:
        assert response.status_code == 400, (message, response.text)
        assert response.json()["error"].startswith(message), (message, response.json())
    silence = np.zeros(16000 * 6, np.int16).tobytes()
    wav = b"RIFF" + (36 + len(silence)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little") + \
        (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (16000).to_bytes(4, "little") + \
        (32000).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little") + b"data" + \
        len(silence).to_bytes(4, "little") + silence
    too_long = post(files={"reference": ("face.png", face), "audio": ("long.wav", wav)})
    assert too_long.status_code == 400 and "over the 5 s limit" in too_long.json()["error"]
    too_big = post(files={"reference": ("face.png", face + b"\x00" * (3 * 1024 * 1024)), "audio": ("t.wav", tone)})
    assert too_big.status_code == 413 and too_big.json()["error"].startswith("body:")
    health = httpx.get(f"{server['url']}/health", timeout=5).json()
    assert health["engine"] == "musetalk-v1.5" and health["device"] == "cpu" and health["batch_size"] == 4
    assert health["requests"] >= 2 and health["errors"] >= 2 and health["queued"] == 0
    assert json.dumps(health)  # plain JSON, no NaN


def test_kubernetes_manifest_places_the_server_on_an_a100_with_the_weights():
    container, mount = model_server_manifest("lipsync", "LIPSYNC")
    command = container.command
    assert command[:2] == ["python", "app.py"] and (ROOT / "services" / "lipsync" / command[1]).is_file()
    assert command[command.index("--model-dir") + 1].startswith(mount.mount_path + "/")
    assert container.startup_probe.http_get.path == "/health"


def test_the_published_bin_files_load_the_same_weights(models, tmp_path):
    """MuseTalk's download script fetches pytorch_model.bin / diffusion_pytorch_model.bin, not safetensors."""
    import shutil

    import torch
    from safetensors.torch import load_file

    built = models
    models = shutil.copytree(built, tmp_path / "models")
    for sub, safe, pickled in (("whisper", "model.safetensors", "pytorch_model.bin"),
                               ("sd-vae", "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")):
        torch.save(load_file(models / sub / safe), models / sub / pickled)
        (models / sub / safe).unlink()
    (models / "REVISION").write_text("hub-commit-abc123\n")
    loaded, reference = musetalk.MuseTalk(models), musetalk.MuseTalk(built)
    for part in ("whisper", "vae", "unet"):
        mine, theirs = getattr(loaded, part).state_dict(), getattr(reference, part).state_dict()
        assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine), part
    assert loaded.revision == "hub-commit-abc123" and reference.revision.startswith("unet-sha256:")


def test_a_rotated_phone_video_is_read_upright(media, tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("lipsync_app", ROOT / "services" / "lipsync" / "app.py")
    app = sys.modules[spec.name] = importlib.util.module_from_spec(spec)  # its dataclasses look themselves up
    spec.loader.exec_module(app)
    rotated = tmp_path / "phone.mp4"
    run_ffmpeg(["-i", str(media["loop"]), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated)])
    side = ffprobe(rotated)["streams"][0].get("side_data_list", [])
    if not any("rotation" in d for d in side):
        pytest.skip("this ffmpeg does not write rotation metadata with -metadata rotate=")
    frames = app.decode_reference(rotated.read_bytes(), "phone.mp4", FPS, 50)
    assert len(frames) == 5 and frames[0].shape == (W, H, 3)  # turned: 400 wide, 320 high


def test_the_presenter_asset_sends_the_account_face_box_and_records_provenance(server, media, prepared_db,
                                                                                instance, monkeypatch):
    """`digital_human` through the real server: the account's avatar has no face a detector finds, so the
    clip exists only because the account's face_box reached the server; the metadata names the engine."""
    import shutil

    from sqlalchemy import select
    from test_lipsync import _materialize

    from batchvideo_app.catalog import default_asset_root
    from batchvideo_resources import settings
    from batchvideo_resources.db import Account, session_scope

    shutil.copy(media["plain"], default_asset_root() / "faceless-host.png")
    with session_scope(settings.db_url()) as session:
        if not session.scalar(select(Account).where(Account.username == "presenter-boxed")):
            session.add(Account(username="presenter-boxed", subtitle_background="#222222", extra={},
                                digital_human={"avatar": "faceless-host.png", "mode": "corner",
                                               "face_box": [100, 120, 220, 260]}))
    monkeypatch.setenv("BATCHVIDEO_LIPSYNC_BACKEND", "http")
    monkeypatch.setenv("BATCHVIDEO_LIPSYNC_URL", server["url"])
    result = _materialize(prepared_db, instance, content="Rivers carve valleys.", account="presenter-boxed",
                          is_horizontal=False, extra={"enable_digital_human": True})
    (clip,) = result.output_for_node("digital_human").clips
    meta = result.asset_materializations_for_node("digital_human")[0].metadata
    assert meta["engine"].value == "musetalk-v1.5"
    assert meta["model_revision"].value.startswith("unet-sha256:")
    assert abs(meta["frames"].value - 25 * (clip.end_ms - clip.start_ms) / 1000) <= 1
    assert meta["lipsync_work_s"].value > 0
