"""Two scripts rendered through all three model servers the project ships, each started here as its own
process on loopback with tiny random weights in the released layout: the voice-cloning TTS server
(services/tts, F5-TTS), the Flux image server (services/flux) and the lip-sync server (services/lipsync,
MuseTalk). The code location reaches them only through the `http` backends, as in production. One script's
account shows the presenter full screen (intro and outro), the other's in a corner; both runs go through
the instance and must succeed with every check passing."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import httpx
import pytest
from conftest import add, frame
from helpers import path_of, streams, wav_seconds
from sqlalchemy import select
from test_flux import build_tiny_flux
from test_lipsync_server import drawn_face

from batchvideo_app.catalog import default_asset_root
from batchvideo_app.local_daemon import stop_group
from batchvideo_app.render import render_scripts
from batchvideo_resources.db import Account, Voice, session_scope

pytestmark = [pytest.mark.e2e, pytest.mark.small_canvas]  # sizes are read through conftest.frame()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services" / "lipsync"))
import musetalk  # noqa: E402

EN_REF = "This is the narrator speaking slowly."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(name: str, args: list[str], root: Path, procs: list) -> str:
    port = _free_port()
    log_path = root / f"{name}.log"
    log = open(log_path, "w")
    # One intra-op thread each: three servers and a render share two cores.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    procs.append((subprocess.Popen([sys.executable, *args, "--port", str(port)], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, cwd=ROOT), log))
    return f"http://127.0.0.1:{port}", log_path


def _wait_healthy(url: str, log_path: Path, proc) -> dict:
    deadline = time.monotonic() + 240
    while True:
        assert proc.poll() is None, log_path.read_text()[-3000:]
        try:
            answer = httpx.get(f"{url}/health", timeout=2)
            if answer.status_code == 200:
                return answer.json()
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} did not come up: {log_path.read_text()[-2000:]}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    from services.tts.random_weights import build as build_f5

    root = tmp_path_factory.mktemp("model-servers")
    checkpoint, vocoder = build_f5(root / "tts", tiny=True)
    flux = build_tiny_flux(root / "flux")
    musetalk_dir = musetalk.save_random_weights(root / "musetalk" / "models", tiny=True)
    procs: list = []
    try:
        started = {
            "tts": _start("tts", ["services/tts/app.py", "--checkpoint", str(checkpoint), "--vocoder", str(vocoder),
                                  "--voices", str(root / "voices"), "--nfe-step", "2", "--device", "cpu"], root, procs),
            "flux": _start("flux", ["services/flux/app.py", "--model", str(flux), "--max-sequence-length", "16"],
                           root, procs),
            "lipsync": _start("lipsync", ["services/lipsync/app.py", "--model-dir", str(musetalk_dir),
                                          "--batch-size", "8"], root, procs),
        }
        health = {name: _wait_healthy(url, log, proc)
                  for (name, (url, log)), (proc, _) in zip(started.items(), procs)}
        yield {name: url for name, (url, _) in started.items()} | {"health": health}
    finally:
        for proc, log in procs:
            stop_group(proc, 30)
            log.close()


@pytest.fixture(scope="module")
def rendered(servers, prepared_db, instance):
    assets = default_asset_root()
    drawn_face(assets / "e2e-presenter.png")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(assets / "e2e-narrator.wav"), EN_REF],
                   check=True, capture_output=True)
    (assets / "e2e-narrator.txt").write_text(EN_REF, encoding="utf-8")  # what the clip says, for F5
    with session_scope(prepared_db) as session:
        if not session.scalar(select(Voice).where(Voice.name == "e2e-narrator")):
            session.add(Voice(name="e2e-narrator", reference_audio="e2e-narrator.wav", backend="http"))
        for name, mode in (("e2e-fullscreen", "fullscreen"), ("e2e-corner", "corner")):
            if not session.scalar(select(Account).where(Account.username == name)):
                session.add(Account(username=name, subtitle_background="#222222", extra={},
                                    digital_human={"avatar": "e2e-presenter.png", "mode": mode, "intro_s": 1.5,
                                                   "outro_s": 1.5}))
    scripts = {
        "fullscreen": add(prepared_db, title="河流", language="zh-CN", voice="e2e-narrator", account="e2e-fullscreen",
                          content="河水总是向低处流。小溪汇成大河，大河流进海洋。",
                          extra={"enable_digital_human": True}),
        "corner": add(prepared_db, title="Rivers", language="en-US", voice="e2e-narrator", account="e2e-corner",
                      is_horizontal=False, content="Water always finds a way down. Streams join into rivers.",
                      extra={"enable_digital_human": True}),
    }
    with pytest.MonkeyPatch.context() as env:
        for key, value in {"BATCHVIDEO_TTS_BACKEND": "http", "BATCHVIDEO_TTS_URL": servers["tts"],
                           "BATCHVIDEO_IMAGE_BACKEND": "http", "BATCHVIDEO_IMAGE_URL": servers["flux"],
                           "BATCHVIDEO_LIPSYNC_BACKEND": "http", "BATCHVIDEO_LIPSYNC_URL": servers["lipsync"],
                           "BATCHVIDEO_EXECUTOR": "in_process"}.items():
            env.setenv(key, value)
        results = render_scripts([str(i) for i in scripts.values()], instance=instance)
    by_id = {r["id"]: r for r in results}
    return {mode: by_id[str(i)] for mode, i in scripts.items()} | {"instance": instance}


def _metadata(instance, run_id: str, asset: str) -> dict:
    records = [r for r in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
               if r.event_log_entry.dagster_event.asset_key == dg.AssetKey(asset)]
    assert records, f"{asset} was not materialized by run {run_id}"
    return {k: v.value for k, v in records[-1].event_log_entry.asset_materialization.metadata.items()}


@pytest.mark.parametrize("mode", ["fullscreen", "corner"])
def test_both_scripts_succeed_with_every_check_passing(rendered, mode):
    result, instance = rendered[mode], rendered["instance"]
    assert result["status"] == "SUCCESS", result["error"]
    checks = [r.event_log_entry.dagster_event.event_specific_data
              for r in instance.get_records_for_run(result["run_id"],
                                                    of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records]
    assert len(checks) >= 8 and all(c.passed for c in checks), [(c.check_name, c.passed) for c in checks]


@pytest.mark.parametrize("mode,horizontal", [("fullscreen", True), ("corner", False)])
def test_every_model_stage_came_from_its_server(rendered, servers, mode, horizontal):
    result, instance = rendered[mode], rendered["instance"]
    audio = _metadata(instance, result["run_id"], "audio")
    assert audio["tts_engine"] == "f5-tts" and audio["voice_reference"].endswith("e2e-narrator.wav")
    assert audio["tts_audio_seconds"] > 0.5
    presenter = _metadata(instance, result["run_id"], "digital_human")
    assert presenter["engine"].startswith("musetalk") and presenter["frames"] > 0
    images = _metadata(instance, result["run_id"], "images")
    assert images["generated"] >= 1
    video = path_of(result["outputs"]["logoed_video"])
    (v,) = streams(video, "video")
    assert (v["width"], v["height"]) == frame(horizontal)
    assert abs(float(v["duration"]) - wav_seconds(path_of(result["outputs"]["audio"]))) < 0.1
    health = {name: httpx.get(f"{url}/health", timeout=5).json() for name, url in servers.items() if name != "health"}
    assert health["tts"]["requests"] >= 2 and health["flux"]["images"] >= 2 and health["lipsync"]["requests"] >= 2


def test_the_presenter_clips_follow_the_modes(rendered):
    instance = rendered["instance"]
    full = _metadata(instance, rendered["fullscreen"]["run_id"], "digital_human")
    corner = _metadata(instance, rendered["corner"]["run_id"], "digital_human")
    assert full["mode"] == "fullscreen" and corner["mode"] == "corner"
    narration = wav_seconds(path_of(rendered["corner"]["outputs"]["audio"]))
    assert corner["clips"] == 1 and abs(corner["presenter_seconds"] - narration) < 0.1  # the whole narration
    assert abs(corner["frames"] - narration * 25) <= 2  # every frame of it lip-synced, at the video's 25 fps
    # Full screen: intro and outro on shot boundaries (one clip when they meet), every frame lip-synced.
    assert full["clips"] in (1, 2) and abs(full["frames"] - full["presenter_seconds"] * 25) <= 2 * full["clips"]
