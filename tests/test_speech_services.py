"""TTS, ASR and LLM resources against real local HTTP servers speaking their contracts.

Every server here is a `ThreadingHTTPServer` on 127.0.0.1 in a thread; the clients are the
real ones (httpx, the `openai` package), so timeouts, retries and parsing are exercised for real.
"""

import base64
import contextlib
import importlib.util
import io
import json
import math
import sys
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from batchvideo_media.alignment import align_sentences, proportional_timings
from batchvideo_media.audio import join_wavs, wav_duration_ms
from batchvideo_resources.asr import ASRResource
from batchvideo_resources.http_retry import (
    PermanentServiceError,
    ServiceUnavailable,
    request_with_retries,
)
from batchvideo_resources.llm import (
    LLMAnswerError,
    LLMResource,
    LLMUnavailable,
    parse_descriptions,
)
from batchvideo_resources.tts import TTSError, TTSResource

pytestmark = pytest.mark.media

MS_PER_CHAR = 40


def tone_wav(seconds: float, rate: int = 24000, channels: int = 1, freq: float = 220.0) -> bytes:
    """A WAV with an audible tone (so silence trimming keeps it), built with the wave module."""
    frames = bytearray()
    for n in range(round(seconds * rate)):
        sample = int(8000 * math.sin(2 * math.pi * freq * n / rate)).to_bytes(2, "little", signed=True)
        frames += sample * channels
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return buf.getvalue()


@contextlib.contextmanager
def local_server(respond):
    """Serve `respond(handler, body) -> (status, headers, bytes)` on 127.0.0.1; yield (url, log)."""
    log: list[dict] = []
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            log.append({"path": self.path, "body": body, "headers": headers, "at": time.monotonic()})
            status, headers, data = respond(self, body, release)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_GET = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        release.set()
        server.shutdown()
        server.server_close()


# --- TTS over HTTP ------------------------------------------------------------------------------

def tts_reply(delay_s: float = 0.0, in_flight: dict | None = None):
    lock = threading.Lock()

    def respond(handler, body, release):
        payload = json.loads(body)
        if in_flight is not None:
            with lock:
                in_flight["now"] += 1
                in_flight["max"] = max(in_flight["max"], in_flight["now"])
        time.sleep(delay_s)
        if in_flight is not None:
            with lock:
                in_flight["now"] -= 1
        seconds = len(payload["text"]) * MS_PER_CHAR / 1000 / payload["speed"]
        return 200, {"Content-Type": "audio/wav"}, tone_wav(seconds)
    return respond


def test_http_tts_speaks_the_contract_concurrently(tmp_path):
    reference = tmp_path / "ref.wav"
    reference.write_bytes(tone_wav(0.3))
    texts = [f"Sentence number {i} of the narration." for i in range(8)]
    in_flight = {"now": 0, "max": 0}
    with local_server(tts_reply(delay_s=0.25, in_flight=in_flight)) as (url, log):
        tts = TTSResource(backend="http", url=url, concurrency=4, timeout_s=5)
        paths = tts.synthesize_many(texts, tmp_path / "out", language="en-US", voice="narrator-a", speed=1.25,
                                    reference_audio=reference)
    assert len(log) == len(texts) and all(entry["path"] == "/v1/tts" for entry in log)
    payloads = [json.loads(entry["body"]) for entry in log]
    assert sorted(p["text"] for p in payloads) == sorted(texts)
    assert all(p["language"] == "en-US" and p["voice"] == "narrator-a" and p["speed"] == 1.25 for p in payloads)
    assert all(base64.b64decode(p["reference_audio_b64"]) == reference.read_bytes() for p in payloads)
    assert in_flight["max"] > 1  # sentences overlapped (the server saw more than one request at once)
    for text, path in zip(texts, paths):  # order preserved: each file is its own sentence's length
        assert abs(wav_duration_ms(path) - len(text) * MS_PER_CHAR / 1.25) < 2


def test_http_tts_retries_server_errors_then_succeeds(tmp_path):
    failures: dict[str, int] = {}

    def flaky(handler, body, release):
        text = json.loads(body)["text"]
        failures[text] = failures.get(text, 0) + 1
        if failures[text] <= 2:
            return 500, {"Content-Type": "text/plain"}, b"model warming up"
        return tts_reply()(handler, body, release)

    with local_server(flaky) as (url, log):
        tts = TTSResource(backend="http", url=url, attempts=4, backoff_s=0.01, timeout_s=5)
        (path,) = tts.synthesize_many(["A sentence that needs three tries."], tmp_path, language="en-US",
                                      voice="v", speed=1.0)
    assert len(log) == 3
    assert wav_duration_ms(path) > 0


def test_http_tts_does_not_retry_a_rejected_request(tmp_path):
    def reject(handler, body, release):
        return 422, {"Content-Type": "application/json"}, b'{"detail": "language xx not supported"}'

    with local_server(reject) as (url, log):
        tts = TTSResource(backend="http", url=url, attempts=4, backoff_s=0.01)
        with pytest.raises(TTSError, match="422.*not supported") as info:
            tts.synthesize_many(["Hello there, world."], tmp_path, language="xx", voice="v")
    assert isinstance(info.value.__cause__, PermanentServiceError)
    assert len(log) == 1


def test_http_tts_gives_a_clear_error_in_bounded_time_when_the_server_hangs(tmp_path):
    def hang(handler, body, release):
        release.wait(30)
        return 200, {}, b""

    with local_server(hang) as (url, log):
        tts = TTSResource(backend="http", url=url, timeout_s=0.5, attempts=2, backoff_s=0.05)
        started = time.monotonic()
        with pytest.raises(TTSError, match=r"sentence 1/1.*did not answer within 0.5 s") as info:
            tts.synthesize_many(["Is anybody there?"], tmp_path, language="en-US", voice="v")
        elapsed = time.monotonic() - started
    assert isinstance(info.value.__cause__, ServiceUnavailable)
    assert len(log) == 2 and elapsed < 3.0


def test_http_tts_rejects_a_reply_that_is_not_audio(tmp_path):
    with local_server(lambda h, b, r: (200, {"Content-Type": "application/json"}, b'{"ok": true}')) as (url, _):
        with pytest.raises(TTSError, match="not a WAV"):
            TTSResource(backend="http", url=url).synthesize_many(["Some words here."], tmp_path,
                                                                  language="en-US", voice="v")


def test_retry_after_is_honoured_for_busy_servers():
    calls = []

    def busy(handler, body, release):
        calls.append(1)
        if len(calls) == 1:
            return 429, {"Retry-After": "0.2"}, b"busy"
        return 200, {}, b"ok"

    waits = []
    with local_server(busy) as (url, _):
        response = request_with_retries("GET", url, attempts=2, sleep=waits.append)
    assert response.status_code == 200 and waits == [0.2]


def test_join_converts_mixed_formats_and_keeps_exact_timings(tmp_path):
    parts = []
    for i, (rate, channels) in enumerate([(24000, 1), (44100, 2), (16000, 1)]):
        path = tmp_path / f"p{i}.wav"
        path.write_bytes(tone_wav(0.5 + i * 0.25, rate=rate, channels=channels))
        parts.append((f"sentence {i}", path))
    out = tmp_path / "joined.wav"
    timings = join_wavs(parts, out, pause_ms=300, lead_ms=100)
    with wave.open(str(out)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24000, 1, 2)
    spoken = sum(t.end_ms - t.start_ms for t in timings)
    assert abs(spoken - sum(500 + i * 250 for i in range(3))) <= 3
    assert abs(wav_duration_ms(out) - (spoken + 2 * 300 + 2 * 100)) <= 3
    assert all(b.start_ms - a.end_ms == 300 for a, b in zip(timings, timings[1:]))


# --- ASR: the FunASR service and its client ------------------------------------------------------

def load_asr_service():
    spec = importlib.util.spec_from_file_location(
        "batchvideo_asr_service", Path(__file__).resolve().parents[1] / "services" / "asr" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class StandInFunASR:
    """Answers like funasr.AutoModel.generate(..., sentence_timestamp=True) for known audio."""

    def __init__(self, sentence_info):
        self.sentence_info = sentence_info
        self.inputs: list[bytes] = []

    def generate(self, input, **kwargs):
        assert kwargs.get("sentence_timestamp") is True
        self.inputs.append(Path(input).read_bytes())
        return [{"key": "audio", "text": "".join(s["text"] for s in self.sentence_info),
                 "sentence_info": [{**s, "timestamp": s.get("timestamp") or _even_timestamps(s)}
                                   for s in self.sentence_info]}]


def _even_timestamps(sentence: dict) -> list[list[int]]:
    """One [start, end] per character, as FunASR's paraformer reports for Chinese."""
    chars = [ch for ch in sentence["text"] if ch.isalnum()]
    step = (sentence["end"] - sentence["start"]) / max(1, len(chars))
    return [[round(sentence["start"] + k * step), round(sentence["start"] + (k + 1) * step)]
            for k in range(len(chars))]


SCRIPT = ["人工智能正在改变我们的生活。", "早上醒来，智能音箱为你播报天气；", "出门上班，导航软件帮你避开拥堵！"]


def test_asr_service_and_client_place_script_sentences_on_the_transcript(tmp_path):
    service = load_asr_service()
    assert "funasr" not in sys.modules  # the service module imports funasr only when it loads a model
    # The recogniser splits differently, drops punctuation and mishears a word.
    heard = [{"start": 480, "end": 2900, "text": "人工智能正在改变我们的生活"},
             {"start": 3300, "end": 5200, "text": "早上醒来智能音响为你播报天气"},
             {"start": 5300, "end": 7900, "text": "出门上班导航软件帮你避开拥堵"}]
    model = StandInFunASR(heard)
    server = service.make_server(model, "127.0.0.1", 0, model_name="stand-in")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    audio = tmp_path / "narration.wav"
    audio.write_bytes(tone_wav(8.2))
    try:
        asr = ASRResource(url=f"http://127.0.0.1:{server.server_address[1]}")
        answer = asr.transcribe(audio, "zh-CN")
        assert [{k: a[k] for k in ("start", "end", "text")} for a in answer] == heard
        assert all(len(a["timestamp"]) == len(a["text"]) for a in answer)  # one per character
        timings = asr.timings(audio, SCRIPT, 8200, language="zh-CN")
    finally:
        server.shutdown()
        server.server_close()
    assert model.inputs[-1] == audio.read_bytes()
    assert [t.text for t in timings] == SCRIPT
    for timing, seg in zip(timings, heard):
        assert abs(timing.start_ms - seg["start"]) <= 200 and abs(timing.end_ms - seg["end"]) <= 200
    assert all(a.end_ms <= b.start_ms for a, b in zip(timings, timings[1:]))


def test_asr_service_health_and_bad_requests():
    import httpx

    service = load_asr_service()
    server = service.make_server(StandInFunASR([]), "127.0.0.1", 0, model_name="stand-in")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert httpx.get(f"{url}/health").json() == {"status": "ok", "model": "stand-in"}
        empty = httpx.post(f"{url}/v1/asr", content=b"")
        assert empty.status_code == 400 and "empty" in empty.json()["error"]
        silent = httpx.post(f"{url}/v1/asr", content=tone_wav(0.2))
        assert silent.status_code == 200 and silent.json()["sentence_info"] == []
    finally:
        server.shutdown()
        server.server_close()


def test_asr_client_against_a_plain_sentence_info_server(tmp_path):
    info = {"sentence_info": [{"start": 100, "end": 1500, "text": "Hello there."},
                              {"start": 1800, "end": 4000, "text": "General Kenobi, you are a bold one."}]}
    with local_server(lambda h, b, r: (200, {"Content-Type": "application/json"},
                                       json.dumps(info).encode())) as (url, log):
        audio = tmp_path / "a.wav"
        audio.write_bytes(tone_wav(4.2))
        timings = ASRResource(url=url).timings(audio, ["Hello there.", "General Kenobi! You are a bold one."], 4200)
    assert log[0]["path"].startswith("/v1/asr") and log[0]["body"] == audio.read_bytes()
    assert (timings[0].start_ms, timings[1].end_ms) == (100, 4000)
    assert abs(timings[1].start_ms - 1800) <= 60


def test_alignment_is_not_pulled_away_by_repeated_text():
    script = ["人工智能正在改变我们的生活。", "人工智能正在改变我们的生活，早上醒来听天气预报。",
              "科学家们用超级计算机模拟气候变化。", "嗯。"]
    heard = [{"start": 100, "end": 2500, "text": "人工智能正在改变我们的生"},  # last word misheard/lost
             {"start": 2800, "end": 7000, "text": "人工智能正在改变我们的生活早上醒来听天气预报"},
             {"start": 7300, "end": 10000, "text": "科学家们用超级计算机模拟气候变化嗯"}]
    timings = align_sentences(script, heard, 10100)
    assert abs(timings[0].start_ms - 100) < 50 and 2400 <= timings[0].end_ms <= 2800
    assert abs(timings[1].start_ms - 2800) < 50 and abs(timings[1].end_ms - 7000) < 50
    assert abs(timings[2].start_ms - 7300) < 50
    assert timings[3].end_ms <= 10000 and timings[3].start_ms >= timings[2].end_ms


def test_asr_falls_back_to_proportional_timing(tmp_path):
    audio = tmp_path / "a.wav"
    audio.write_bytes(tone_wav(1.0))
    assert ASRResource().timings(audio, SCRIPT, 9000) == proportional_timings(SCRIPT, 9000)
    unrelated = [{"start": 0, "end": 9000, "text": "completely different words in another language"}]
    assert align_sentences(SCRIPT, unrelated, 9000) is None
    with local_server(lambda h, b, r: (200, {}, b'{"sentence_info": []}')) as (url, _):
        assert ASRResource(url=url).timings(audio, SCRIPT, 9000) == proportional_timings(SCRIPT, 9000)
    with local_server(lambda h, b, r: (200, {}, b'{"unexpected": 1}')) as (url, _):
        with pytest.raises(RuntimeError, match="sentence_info"):
            ASRResource(url=url).timings(audio, SCRIPT, 9000)


# --- LLM over the chat-completions protocol ------------------------------------------------------

def chat_server(answer, fail_first: int = 0):
    """/v1/chat/completions answering `answer(segments)`; the first `fail_first` requests get 500."""
    count = {"n": 0}

    def respond(handler, body, release):
        count["n"] += 1
        if count["n"] <= fail_first:
            return 500, {"Content-Type": "application/json"}, b'{"error": {"message": "overloaded"}}'
        request = json.loads(body)
        user = request["messages"][1]["content"]
        segments = [line.split(". ", 1)[1] for line in user.splitlines() if line[:1].isdigit()]
        content = answer(segments, request)
        reply = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": request["model"],
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": content}}],
                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        return 200, {"Content-Type": "application/json"}, json.dumps(reply).encode()
    return respond


def json_answer(segments, request):
    return "```json\n" + json.dumps([{"prompt": f"A cinematic scene of segment {i + 1}",
                                      "keywords": ["City", "night", "lights", "rain", "extra"]}
                                     for i in range(len(segments))]) + "\n```"


def test_llm_prompts_are_batched_parsed_and_cached(tmp_path):
    texts = [f"第{i}段：城市的夜晚灯火通明。" for i in range(10)]
    with local_server(chat_server(json_answer)) as (url, log):
        llm = LLMResource(base_url=f"{url}/v1", model="tiny-chat", api_key="sk-test-secret", batch_size=4,
                          cache_dir=str(tmp_path / "cache"))
        first = llm.describe_shots(texts, "neon cyberpunk")
        requests_after_first = len(log)
        second = llm.describe_shots(texts, "neon cyberpunk")
        assert len(log) == requests_after_first  # the re-run was served from the cache
        llm.describe_shots(texts, "watercolour")  # another style is another question
    assert requests_after_first == 3  # 10 shots in batches of 4
    assert first == second and len(first) == len(texts)
    assert all(2 <= len(d["keywords"]) <= 4 and all(k == k.lower() for k in d["keywords"]) for d in first)
    assert log[0]["headers"]["authorization"] == "Bearer sk-test-secret"
    sent = json.loads(log[0]["body"])
    assert sent["model"] == "tiny-chat" and "neon cyberpunk" in sent["messages"][1]["content"]
    assert len(log) == 6


def test_llm_retries_server_errors_and_reasks_unusable_answers(tmp_path):
    replies = iter(["Sorry, I cannot help with that.",
                    "1. A misty mountain at dawn | keywords: mountain, fog, sunrise\n"
                    "2) Children playing football in a park (keywords: kids, soccer)"])
    with local_server(chat_server(lambda segments, request: next(replies), fail_first=1)) as (url, log):
        llm = LLMResource(base_url=f"{url}/v1", model="m", cache_dir="", max_retries=2)
        items = llm.describe_shots(["山间的清晨。", "孩子们在公园里踢球。"])
    assert len(log) == 3  # one 500 retried by the client, one unusable answer asked again
    assert items[0]["prompt"] == "A misty mountain at dawn" and items[0]["keywords"] == ["mountain", "fog", "sunrise"]
    assert items[1]["keywords"] == ["kids", "soccer"]
    second_ask = json.loads(log[-1]["body"])["messages"]
    assert second_ask[-1]["role"] == "user" and "exactly 2" in second_ask[-1]["content"]


def test_llm_gives_up_with_a_clear_error_when_answers_stay_unusable(tmp_path):
    with local_server(chat_server(lambda segments, request: "一个美丽的场景")) as (url, log):
        llm = LLMResource(base_url=f"{url}/v1", model="m", cache_dir=str(tmp_path), answer_attempts=2)
        with pytest.raises(LLMAnswerError, match="no usable answer after 2"):
            llm.describe_shots(["一段文字。"])
    assert len(log) == 2 and not list(tmp_path.iterdir())  # nothing unusable was cached


@pytest.mark.parametrize("content", [
    '[{"prompt": "a", "keywords": ["x", "y"]}, {"prompt": "b", "keywords": "p, q"}]',
    'Here you go:\n{"shots": [{"prompt": "a", "keywords": ["x", "y"]}, {"description": "b", "tags": ["p"]}]}',
    "1. a | keywords: x, y\n2. b",
    "**1.** a\n**2.** b",
])
def test_parse_descriptions_accepts_common_shapes(content):
    items = parse_descriptions(content, 2)
    assert [i["prompt"] for i in items] == ["a", "b"]


def test_parse_descriptions_rejects_wrong_counts_and_non_english():
    with pytest.raises(LLMAnswerError, match="1 descriptions for 2"):
        parse_descriptions('["only one"]', 2)
    with pytest.raises(LLMAnswerError, match="not in English"):
        parse_descriptions('["城市夜景"]', 1)


# --- the speech assets wired to these services ------------------------------------------------

def test_user_narration_gets_asr_timings_traditional_subtitles_and_llm_prompts(prepared_db, instance, tmp_path):
    """`extra.audio` narration → ASR service timings → `srt` (Traditional) → `splits` with LLM prompts."""
    import dagster as dg
    from conftest import add

    from batchvideo_app.catalog import default_asset_root
    from batchvideo_assets.defs.script.assets import script
    from batchvideo_assets.defs.speech.assets import audio, srt
    from batchvideo_assets.defs.storyboard.assets import splits
    from batchvideo_assets.io_manager import ManifestIOManager
    from batchvideo_assets.resources import build_resources

    sentences = ["人工智能正在改变我们的生活，医生发现疾病更早了。", "早上醒来，智能音箱为你播报天气和新闻。",
                 "出门上班，导航软件帮你避开拥堵的道路。", "晚上回家，扫地机器人已经把地板打扫干净。"]
    # The user's narration: espeak sentences joined with known timings, which the stand-in ASR reports.
    espeak = TTSResource()
    parts = espeak.synthesize_many(sentences, tmp_path / "parts", language="zh-CN", voice="cmn")
    narration = default_asset_root() / "user_narration_asr_test.wav"
    narration.parent.mkdir(parents=True, exist_ok=True)
    truth = join_wavs(list(zip(sentences, parts)), narration, pause_ms=500)
    heard = [{"start": t.start_ms, "end": t.end_ms, "text": t.text.replace("，", "").replace("。", "")}
             for t in truth]

    service = load_asr_service()
    server = service.make_server(StandInFunASR(heard), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script_id = add(prepared_db, title="用户配音", content="".join(sentences), language="zh-CN", topic="science",
                    extra={"audio": narration.name, "traditional_subtitle": True, "broll_ratio": 0.5})
    instance.add_dynamic_partitions("scripts", [str(script_id)])
    configured = build_resources()
    media = configured["media"]
    try:
        with local_server(chat_server(json_answer)) as (llm_url, llm_log):
            resources = {"db": configured["db"], "media": media, "io_manager": ManifestIOManager(media=media),
                         "tts": TTSResource(), "asr": ASRResource(url=f"http://127.0.0.1:{server.server_address[1]}"),
                         "llm": LLMResource(base_url=f"{llm_url}/v1", model="tiny", cache_dir="")}
            run_config = {"ops": {"splits": {"config": {"min_shot_s": 4.0}}}}
            result = dg.materialize([script, audio, srt, splits], partition_key=str(script_id),
                                    instance=instance, resources=resources, run_config=run_config)
            requests_first_run = len(llm_log)
            # Re-running the storyboard alone reads the LLM answer back from the media store.
            again = dg.materialize([script, audio, srt, splits], partition_key=str(script_id),
                                   instance=instance, resources=resources, run_config=run_config,
                                   selection=[splits.key])
            requests_second_run = len(llm_log)
    finally:
        server.shutdown()
        server.server_close()
    assert result.success
    audio = result.output_for_node("audio")
    assert audio.source.startswith("funasr:") and audio.duration_ms == round(wav_duration_ms(narration))
    assert [s.text for s in audio.sentences] == sentences
    for got, want in zip(audio.sentences, truth):
        assert abs(got.start_ms - want.start_ms) <= 150 and abs(got.end_ms - want.end_ms) <= 150
    cues = result.output_for_node("srt").cues
    text = "".join(c.text for c in cues)
    assert "們" in text and "發現" in text and "们" not in text
    board = result.output_for_node("splits")
    assert board.prompt_source == "llm" and requests_first_run == 1
    assert again.success and requests_second_run == 1
    assert again.output_for_node("splits").shots == board.shots
    shots = board.shots
    assert shots[0].start_ms == 0 and shots[-1].end_ms == audio.duration_ms
    assert all(a.end_ms == b.start_ms for a, b in zip(shots, shots[1:]))
    assert all(s.prompt.startswith("A cinematic scene") or "A cinematic scene" in s.prompt for s in shots)
    assert all(2 <= len(s.keywords) <= 4 for s in shots)
    assert shots[0].kind == "image"


def test_llm_outage_is_a_clear_error(tmp_path):
    with local_server(chat_server(json_answer, fail_first=100)) as (url, log):
        llm = LLMResource(base_url=f"{url}/v1", model="m", cache_dir="", max_retries=1, timeout_s=2)
        with pytest.raises(LLMUnavailable, match="failed after 1 retries.*500"):
            llm.describe_shots(["一段文字。"])
    assert len(log) == 2
