"""The voice-cloning TTS server (services/tts) for real: F5-TTS's own DiT/CFM and Vocos classes, built from F5's
F5TTS_v1_Base config shrunk to a few thousand parameters with random weights, saved in the released layout and
loaded by F5's `load_model` / `load_vocoder(is_local=True)`; the server runs in this process on loopback and is
called through `TTSResource(backend="http")`. Reference clips are spoken by espeak-ng."""

import base64
import http.client
import io
import json
import subprocess
import sys
import threading
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml
from helpers import model_server_manifest

from batchvideo_resources.tts import TTSError, TTSResource

pytestmark = pytest.mark.media
ROOT = Path(__file__).resolve().parents[1]
EN_REF = "This is the narrator speaking slowly."
ZH_REF = "这是旁白的声音。"


def _espeak(text: str, voice: str, out: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(out), text], check=True, capture_output=True)
    out.with_suffix(".txt").write_text(text, encoding="utf-8")
    return out


def _samples(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2"), wav.getframerate()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import torch

    from services.tts.app import make_server
    from services.tts.engines import F5Engine
    from services.tts.random_weights import build

    # One intra-op thread: the model is tiny, and under parallel test workers OpenMP's spinning threads made a
    # batch tens of times slower on a busy 2-core machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("tts")
    checkpoint, vocoder = build(root / "models", tiny=True)
    voices = root / "voices"
    voices.mkdir()
    _espeak(EN_REF, "en-us", voices / "narrator.wav")
    engine = F5Engine(checkpoint, vocoder, nfe_step=2, device="cpu")
    server = make_server(engine, port=0, voices=voices, max_batch=4, window_s=0.3, request_timeout_s=120)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    refs = root / "refs"
    refs.mkdir()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}", "server": server, "root": root,
           "en": _espeak(EN_REF, "en-us", refs / "en.wav"), "zh": _espeak(ZH_REF, "cmn", refs / "zh.wav"),
           "checkpoint": checkpoint}
    server.shutdown()
    server.server_close()
    torch.set_num_threads(threads)


def _health(served) -> dict:
    return httpx.get(f"{served['url']}/health", timeout=5).json()


def test_the_weights_are_f5s_own_config_in_the_released_layout(served):
    """What the server loaded is F5TTS_v1_Base's architecture, shrunk only in size."""
    from importlib.resources import files

    base = yaml.safe_load(Path(str(files("f5_tts").joinpath("configs/F5TTS_v1_Base.yaml"))).read_text())
    built = yaml.safe_load((served["checkpoint"].parent / "config.yaml").read_text())
    assert {k: v for k, v in built["model"]["arch"].items() if k not in ("dim", "depth", "heads", "text_dim",
                                                                          "conv_layers")} == \
        {k: v for k, v in base["model"]["arch"].items() if k not in ("dim", "depth", "heads", "text_dim",
                                                                       "conv_layers")}
    assert served["checkpoint"].relative_to(served["root"]).as_posix() == \
        "models/F5TTS_v1_Base/model_1250000.safetensors"
    assert (served["root"] / "models/vocos-mel-24khz/pytorch_model.bin").is_file()
    health = _health(served)
    assert health["engine"] == "f5-tts" and health["model"] == "F5TTS_v1_Base"
    assert health["revision"].startswith("model_1250000.safetensors@")


def test_zh_and_en_are_cloned_through_the_client_with_provenance(served, tmp_path):
    tts = TTSResource(backend="http", url=served["url"], timeout_s=120, attempts=1)
    durations = {}
    for language, ref, short in (("en-US", "en", "The river runs to the sea."), ("zh-CN", "zh", "今天天气很好。")):
        provenance: dict = {}
        paths = tts.synthesize_many([short, short + " " + short], tmp_path / language, language=language,
                                    voice="narrator", reference_audio=served[ref], provenance=provenance)
        lengths = []
        for path in paths:
            samples, rate = _samples(path.read_bytes())
            assert rate == 24000 and np.abs(samples).max() > 0
            lengths.append(len(samples) / rate)
        # F5 sets the length from the reference's seconds per UTF-8 byte: twice the text, about twice the audio.
        assert lengths[1] / lengths[0] == pytest.approx(len((short + " " + short).encode()) / len(short.encode()),
                                                        rel=0.05)
        durations[language] = lengths
        assert provenance["tts_engine"] == "f5-tts" and provenance["tts_model"] == "F5TTS_v1_Base"
        assert provenance["tts_model_revision"] == _health(served)["revision"]
        assert provenance["voice_reference"] == f"{ref}.wav"
        assert provenance["tts_audio_seconds"] == pytest.approx(sum(lengths), abs=0.01)
    slow = tts.synthesize_many(["The river runs to the sea."], tmp_path / "fast", language="en-US", voice="n",
                               speed=2.0, reference_audio=served["en"])[0]
    assert len(_samples(slow.read_bytes())[0]) / 24000 == pytest.approx(durations["en-US"][0] / 2, rel=0.05)


def test_output_follows_the_text_and_the_reference(served):
    def say(text: str, ref: str) -> bytes:
        body = {"text": text, "language": "en-US", "voice": "v", "speed": 1.0,
                "reference_audio_b64": base64.b64encode(served[ref].read_bytes()).decode(),
                "reference_text": served[ref].with_suffix(".txt").read_text(encoding="utf-8")}
        response = httpx.post(f"{served['url']}/v1/tts", json=body, timeout=120)
        assert response.status_code == 200, response.text
        return response.content

    first = say("A calm voice reads the news.", "en")
    assert say("A calm voice reads the news.", "en") == first  # one seed: the same input, the same audio
    assert say("A loud voice reads the news.", "en") != first
    assert say("A calm voice reads the news.", "zh") != first


def test_concurrent_requests_are_batched(served, tmp_path):
    before = _health(served)
    tts = TTSResource(backend="http", url=served["url"], concurrency=4, timeout_s=120, attempts=1)
    texts = [f"Sentence number {n} of the story." for n in ("one", "two", "three", "four")]
    paths = tts.synthesize_many(texts, tmp_path, language="en-US", voice="narrator", reference_audio=served["en"])
    assert all(_samples(p.read_bytes())[1] == 24000 for p in paths)
    after = _health(served)
    assert after["requests"] - before["requests"] == 4
    assert after["batches"] - before["batches"] < 4 and after["max_batch_seen"] > 1


def test_a_named_voice_comes_from_the_voices_folder(served):
    response = httpx.post(f"{served['url']}/v1/tts", json={"text": "Hello from the folder voice.",
                                                           "language": "en-GB", "voice": "narrator"}, timeout=120)
    assert response.status_code == 200 and response.headers["X-Voice-Reference"] == "narrator.wav"
    assert float(response.headers["X-Audio-Seconds"]) == pytest.approx(
        len(_samples(response.content)[0]) / 24000, abs=0.002)


def _silence_wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * int(16000 * seconds))
    return buffer.getvalue()


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"text": "  "}, 400, "text"),
    ({"language": "fr-FR"}, 400, "language"),
    ({"reference_audio_b64": base64.b64encode(b"this is not audio").decode()}, 400, "reference_audio_b64"),
    ({"reference_audio_b64": "%%%"}, 400, "reference_audio_b64"),
    ({"reference_audio_b64": base64.b64encode(_silence_wav(25)).decode()}, 400, "reference_audio_b64"),
    ({"reference_text": None}, 400, "reference_text"),
    ({"speed": 3}, 400, "speed"),
    ({"reference_audio_b64": None, "voice": "nobody"}, 404, "voice"),
])
def test_bad_requests_are_refused_naming_the_field(served, change, status, field):
    body = {"text": "Fine words.", "language": "en-US", "voice": "v", "speed": 1.0,
            "reference_audio_b64": base64.b64encode(served["en"].read_bytes()).decode(), "reference_text": EN_REF}
    body = {k: v for k, v in {**body, **change}.items() if v is not None}
    before = _health(served)["requests"]
    response = httpx.post(f"{served['url']}/v1/tts", json=body, timeout=30)
    assert response.status_code == status and response.json()["error"].startswith(f"{field}:")
    assert _health(served)["requests"] == before  # refused before reaching the model


def test_the_client_does_not_retry_a_refusal_and_the_body_is_bounded(served, tmp_path):
    from services.tts.app import MAX_BODY

    tts = TTSResource(backend="http", url=served["url"], attempts=4, backoff_s=5, timeout_s=30)
    started = time.monotonic()
    with pytest.raises(TTSError, match="answered 400: .*language"):
        tts.synthesize_many(["Bonjour."], tmp_path, language="fr-FR", voice="narrator")
    assert time.monotonic() - started < 2.5  # not retried: a second attempt waits 2.5 s or more first
    # An oversized body is refused from its Content-Length, before it is read.
    connection = http.client.HTTPConnection("127.0.0.1", served["server"].server_address[1], timeout=10)
    connection.putrequest("POST", "/v1/tts")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(MAX_BODY + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413 and json.loads(response.read())["error"].startswith("body:")
    connection.close()


def test_the_server_refuses_to_start_without_local_weights(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "services/tts/app.py"), "--checkpoint", str(tmp_path / "none"),
                             "--vocoder", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--checkpoint" in result.stderr and "never downloaded" in result.stderr


def test_parallel_callers_each_get_their_own_sentence(served):
    """Batched requests are not mixed up: each answer has its own text's length."""
    texts = ["Short one.", "A much longer sentence than the first, with many more words in it."]
    ref = base64.b64encode(served["en"].read_bytes()).decode()

    def call(text):
        return httpx.post(f"{served['url']}/v1/tts", timeout=120, json={
            "text": text, "language": "en-US", "voice": "v", "speed": 1.0, "reference_audio_b64": ref,
            "reference_text": EN_REF}).content

    with ThreadPoolExecutor(2) as pool:
        short, long = pool.map(call, texts)
    assert len(_samples(long)[0]) > 3 * len(_samples(short)[0])
    assert _health(served)["max_batch_seen"] >= 2


def test_kubernetes_manifest_places_the_server_on_an_a100_with_the_weights():
    container, mount = model_server_manifest("tts", "TTS")
    command = container.command
    assert command[:2] == ["python", "services/tts/app.py"] and (ROOT / command[1]).is_file()
    for flag in ("--checkpoint", "--vocoder", "--voices"):
        assert command[command.index(flag) + 1].startswith(mount.mount_path + "/"), flag


def test_narration_records_what_served_it(served, tmp_path):
    """The audio step's metadata source: engine, revision, voice reference and the seconds synthesised."""
    from batchvideo_resources.narration import synthesize_narration

    tts = TTSResource(backend="http", url=served["url"], timeout_s=120, attempts=1)
    narration = synthesize_narration(tts, ["The first sentence is short.", "今天天气很好。"], tmp_path / "a.wav",
                                     tmp_path / "pieces", language="zh-CN", voice="narrator", speed=1.0, limit=30,
                                     reference_audio=str(served["zh"]))
    assert narration.provenance["tts_engine"] == "f5-tts"
    assert narration.provenance["tts_model_revision"] == _health(served)["revision"]
    assert narration.provenance["voice_reference"] == "zh.wav"
    pieces = sorted((tmp_path / "pieces").rglob("*.wav"))
    assert narration.provenance["tts_audio_seconds"] == pytest.approx(
        sum(len(_samples(p.read_bytes())[0]) for p in pieces) / 24000, abs=0.01)
    assert 0 < narration.duration_ms / 1000 <= narration.provenance["tts_audio_seconds"] + 2  # plus pauses
