"""How fast the `audio` stage runs: narration seconds produced per wall-clock second.

Runs exactly what the `audio` asset runs (split → cue planning → spoken form → per-cue TTS in
parallel → join with exact cue timings) on a generated Chinese script of the requested length.

    .venv/bin/python bench/audio_speed.py [--chars 1000] [--language zh-CN --voice cmn] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from batchvideo_media.audio import wav_duration_ms  # noqa: E402
from batchvideo_media.subtitles import line_limit  # noqa: E402
from batchvideo_media.text import split_sentences  # noqa: E402
from batchvideo_resources.narration import synthesize_narration  # noqa: E402
from batchvideo_resources.tts import TTSResource  # noqa: E402

CLAUSES = ["人工智能正在改变我们的生活", "早上醒来智能音箱为你播报天气", "出门上班导航软件帮你避开拥堵",
           "在医院里医生借助算法更早地发现疾病", "科学家们用超级计算机模拟气候变化", "城市的夜晚灯火通明",
           "孩子们在公园里踢球", "2024年全球气温上升了1.5℃", "百分之八十的人每天使用手机", "你觉得未来会更美好吗"]


def chinese_script(chars: int, seed: int = 1000) -> str:
    rng = random.Random(seed)
    text = ""
    while len(text) < chars:
        text += rng.choice(CLAUSES) + rng.choice("，，，。！？；")
    return text[:chars - 1] + "。"


def run_once(text: str, language: str, voice: str, tts: TTSResource) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        sentences = split_sentences(text)
        synthesize_narration(tts, sentences, Path(tmp) / "audio.wav", Path(tmp) / "pieces", language=language,
                             voice=voice, speed=1.0, limit=line_limit(language.startswith(("zh", "ja", "ko", "yue")),
                                                                      False))
        wall = time.perf_counter() - started
        return wav_duration_ms(Path(tmp) / "audio.wav") / 1000, wall, len(sentences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=1000)
    parser.add_argument("--language", default="zh-CN")
    parser.add_argument("--voice", default="cmn")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=None, help="default: one per CPU")
    args = parser.parse_args()
    text = chinese_script(args.chars)
    tts = TTSResource(concurrency=args.concurrency)
    results = [run_once(text, args.language, args.voice, tts) for _ in range(args.runs)]
    narration, _, sentences = results[0]
    wall = statistics.median(r[1] for r in results)
    print(f"script: {len(text)} characters, {sentences} sentences, {os.cpu_count()} CPUs, "
          f"concurrency {tts._workers()}")
    print(f"narration_seconds={narration:.2f} wall_seconds={wall:.2f} (median of {args.runs})")
    print(f"narration_seconds / wall_seconds = {narration / wall:.1f}x real time")


if __name__ == "__main__":
    main()
