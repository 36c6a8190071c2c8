"""Spoken forms per language, every seeded language really spoken, cue timing from ASR character
timestamps, and karaoke subtitles driven by the recorded word times."""

import subprocess
import wave
from pathlib import Path

import pysubs2
import pytest

from batchvideo_app.catalog import LANGUAGES
from batchvideo_media.audio import read_pcm16_mono
from batchvideo_media.espeak import espeak_missing_voice, espeak_voice
from batchvideo_media.normalize import spoken_form
from batchvideo_media.segment import estimate_seconds, words
from batchvideo_media.subtitles import cue_texts, karaoke_text, subtitle_font_size, to_ass, wrap
from batchvideo_media.text import text_width
from batchvideo_resources.narration import synthesize_narration, time_supplied_narration
from batchvideo_resources.tts import TTSResource

pytestmark = pytest.mark.media

SPOKEN = [
    # Chinese: years digit by digit, quantities with 万/千, decimals, percentages, ranges, dates, times, money
    ("zh-CN", "2024年", "二零二四年"),
    ("zh-CN", "15000次", "一万五千次"),
    ("zh-CN", "增长了35.7%", "增长了百分之三十五点七"),
    ("zh-CN", "15%~20%", "百分之十五到百分之二十"),
    ("zh-CN", "2024-03-05发布", "二零二四年三月五日发布"),
    ("zh-CN", "下午3:30开会", "下午三点三十分开会"),
    ("zh-CN", "利润1,280万元", "利润一千二百八十万元"),
    ("zh-CN", "售价¥3.5万", "售价三点五万元"),
    ("zh-CN", "投资$12,000", "投资一万二千美元"),
    ("zh-CN", "气温-5℃", "气温零下五摄氏度"),
    ("zh-CN", "第3季度", "第三季度"),
    ("zh-CN", "GPT-4模型", "G P T 四模型"),
    ("zh-CN", "电话555-0100", "电话五五五 零一零零"),
    # English: money with scale, thousands, years, dates, ordinals, units, abbreviations, times
    ("en-US", "$3.5 billion", "three point five billion dollars"),
    ("en-US", "$12,000", "twelve thousand dollars"),
    ("en-US", "$4.99", "four dollars and ninety nine cents"),
    ("en-US", "35,000 MW", "thirty five thousand megawatts"),
    ("en-US", "in 2024", "in twenty twenty four"),
    ("en-US", "On March 5, 2024,", "On March fifth, twenty twenty four,"),
    ("en-US", "the 5th floor", "the fifth floor"),
    ("en-US", "5 km", "five kilometers"),
    ("en-US", "grew 12.5%", "grew twelve point five percent"),
    ("en-US", "3~5 days", "three to five days"),
    ("en-US", "Dr. Smith", "Doctor Smith"),
    ("en-US", "the U.S. and D.C.", "the U S and D C"),
    ("en-US", "at 9:30 p.m.", "at nine thirty p m"),
    ("en-US", "at -4°C", "at minus four degrees Celsius"),
    ("en-US", "the 1990s", "the nineteen nineties"),
    # Japanese: kana for espeak-ng, particles as pronounced, decimal point and percent spelled
    ("ja-JP", "今日は天気です。", "きょうわてんきです。"),
    ("ja-JP", "東京へ行きます", "とうきょうえいきます"),
    ("ja-JP", "3.5%です", "さんてんごぱーせんとです"),
]


@pytest.mark.parametrize("language,text,expected", SPOKEN, ids=[f"{c[0]}:{c[1]}" for c in SPOKEN])
def test_spoken_form_reads_numbers_as_people_do(language, text, expected):
    assert spoken_form(text, language) == expected


@pytest.mark.parametrize("text", ["35,000", "$12,000", "（约6米）", "《中国能源发展白皮书》", "March 5, 2024", "3.5%"])
def test_numbers_brackets_and_titles_are_never_cut(text):
    if text[0].isascii() and not text[0].isdigit() and text[0] != "$":
        sentence, language = f"The plant opened on {text}, after a decade of planning and public hearings.", "en-US"
    else:
        sentence, language = f"数据显示，这一年的装机容量达到了{text}，比上一年增长了很多，专家们都很意外。", "zh-CN"
    for limit in (16, 22, 26):
        chunks = cue_texts(sentence, limit, language)
        assert sum(text in chunk for chunk in chunks) == 1, (limit, chunks)
        (chunk,) = [c for c in chunks if text in c]
        if text_width(text) + 2 <= limit:  # and on one line when it fits one with its punctuation
            assert any(text in line for line in wrap(chunk, limit)), (limit, wrap(chunk, limit))


def test_chinese_words_are_not_cut_by_lines():
    import jieba

    for text in ["今年全国人大常委会审议通过了多项法律草案", "乘客在高铁车厢内可以使用电子设备了",
                 "受天气影响，今年的粮食产量明显下降，但是收入增长了"]:
        bounds, position = {0}, 0
        for word in jieba.lcut(text):
            position += len(word)
            bounds.add(position)
        lines, position = wrap(text, 16), 0
        for line in lines[:-1]:
            position += len(line)
            assert position in bounds, lines
    assert "电子设备" in words("使用电子设备")


# --- every seeded language is spoken --------------------------------------------------------------

SAMPLES = {
    "zh-CN": "今天天气很好，我们一起去公园散步吧。",
    "en-US": "The weather is lovely today, so we are going for a walk.",
    "en-GB": "The weather is lovely today, so we are going for a walk.",
    "ja-JP": "今日はとてもいい天気なので、公園を散歩しましょう。",
    "ko-KR": "오늘은 날씨가 좋아서 공원에 산책하러 갑니다.",
    "de-DE": "Das Wetter ist heute schön, also gehen wir spazieren.",
    "fr-FR": "Il fait beau aujourd'hui, alors nous allons nous promener.",
    "es-ES": "Hoy hace buen tiempo, así que vamos a dar un paseo.",
    "yue-HK": "今日天氣好好，我哋一齊去公園散步啦。",
}


@pytest.mark.parametrize("code,voice", [(c[0], c[2]) for c in LANGUAGES], ids=[c[0] for c in LANGUAGES])
def test_every_seeded_language_is_really_spoken(tmp_path, code, voice):
    assert espeak_missing_voice(voice) is None
    text = SAMPLES[code]
    spoken = spoken_form(text, code)
    (path,) = TTSResource().synthesize_many([spoken], tmp_path, language=code, voice=voice)
    samples, rate = read_pcm16_mono(path)
    seconds = len(samples) / rate
    expected = estimate_seconds(text, code)
    # Plausible speech: within a factor of two of the planned speaking time (a kanji read as
    # "Chinese letter" makes Japanese 2–3× longer), and not silence.
    assert 0.5 * expected <= seconds <= 2.0 * expected, (seconds, expected)
    assert max(abs(v) for v in samples) > 3000
    phonemes = subprocess.run(["espeak-ng", "-v", espeak_voice(voice), "-q", "-x", spoken],
                              capture_output=True, text=True).stdout
    assert "(en)" not in phonemes or code.startswith("en"), phonemes  # no switch to English letter names
    print(f"{code:6s} {voice:5s} {seconds:5.2f} s (planned {expected:4.2f} s)")


def test_a_language_espeak_cannot_speak_is_named():
    assert "no voice 'xx-nowhere'" in espeak_missing_voice("xx-nowhere")


# --- supplied narration: cues placed on ASR character timestamps ----------------------------------

def test_supplied_narration_switches_cues_within_100_ms_from_character_timestamps(tmp_path):
    """The user's recording is espeak narration with known cue switches; the stand-in ASR reports each
    character's time inside its cue's speech, as FunASR's `timestamp` does."""
    from batchvideo_media.text import split_sentences
    from batchvideo_resources.asr import ASRResource

    text = ("2024年3月5日，新华社报道，全国铁路旅客发送量达到38.5亿人次，比上一年增长了百分之十五。"
            "此外，高铁车厢内使用电子设备的规定已经取消，乘客可以在车厢内打电话。")
    sentences = split_sentences(text)
    truth = synthesize_narration(TTSResource(), sentences, tmp_path / "user.wav", tmp_path / "pieces",
                                 language="zh-CN", voice="cmn", speed=1.0, limit=26)
    info = []
    for sentence in truth.sentences:
        for cue in sentence["cues"]:
            chars = [ch for ch in cue["text"] if ch.isalnum()]
            speech_start = cue["start_ms"] + 40
            speech_end = cue["words"][-1]["end_ms"] if cue is not sentence["cues"][-1] else sentence["end_ms"]
            speech_end = min(speech_end, cue["end_ms"]) - 40
            step = (speech_end - speech_start) / len(chars)
            info.append({"start": round(speech_start), "end": round(speech_end), "text": cue["text"],
                         "timestamp": [[round(speech_start + k * step), round(speech_start + (k + 1) * step)]
                                       for k in range(len(chars))]})

    class StandIn(ASRResource):
        def transcribe(self, audio: Path, language: str = "") -> list[dict]:
            return info

    with wave.open(str(tmp_path / "user.wav")) as w:
        duration = round(w.getnframes() * 1000 / w.getframerate())
    timed = time_supplied_narration(StandIn(url="http://stand-in"), tmp_path / "user.wav", sentences, duration,
                                    language="zh-CN", limit=26)
    got = [c for s in timed.sentences for c in s["cues"]]
    want = [c for s in truth.sentences for c in s["cues"]]
    assert [c["text"] for c in got] == [c["text"] for c in want]
    errors = [abs(a["start_ms"] - b["start_ms"]) for a, b in zip(got, want)]
    print(f"supplied narration: cue switch error median {sorted(errors)[len(errors) // 2]} ms, max {max(errors)} ms")
    assert max(errors) <= 100, errors


# --- karaoke --------------------------------------------------------------------------------------

def test_karaoke_ass_highlights_each_word_at_its_time(tmp_path):
    from datetime import timedelta

    import srt as srtlib

    sentences = ["Maria says, every morning at six thirty, she runs along the river."]
    narration = synthesize_narration(TTSResource(), sentences, tmp_path / "a.wav", tmp_path / "p",
                                     language="en-US", voice="en-us", speed=1.0, limit=22)
    cues = [c for s in narration.sentences for c in s["cues"]]
    subs = [srtlib.Subtitle(i + 1, timedelta(milliseconds=c["start_ms"]), timedelta(milliseconds=c["end_ms"]),
                            "\n".join(wrap(c["text"], 22))) for i, c in enumerate(cues)]
    document = to_ass(subs, 768, 1360, font="Noto Sans CJK SC", background="#000000",
                      words=[c["words"] for c in cues])
    parsed = pysubs2.SSAFile.from_string(document)
    events = [e for e in parsed.events if e.style == "Default"]
    assert len(events) == len(cues)
    for event, cue in zip(events, cues):
        assert event.text.count("\\k") >= len(cue["words"])
        assert event.plaintext.replace("\n", " ").split() == cue["text"].split()
        total = sum(int(x) for x in __import__("re").findall(r"\\k(\d+)", event.text)) * 10
        last_word_end = cue["words"][-1]["end_ms"]
        assert abs(cue["start_ms"] + total - last_word_end) <= 20 * len(cue["words"])
    style = parsed.styles["Default"]
    assert style.primarycolor != style.secondarycolor  # spoken words change colour
    # Vertical frames: font readable on a phone, box above the bottom 15 % where apps draw controls.
    assert style.fontsize == subtitle_font_size(768, 1360) >= 44 and style.marginv >= 0.15 * 1360
    plain = pysubs2.SSAFile.from_string(to_ass(subs, 768, 1360, font="x", background="#000000"))
    assert "\\k" not in plain.events[0].text  # off unless the account asks for it
    assert karaoke_text("a b", [{"text": "zz", "start_ms": 0, "end_ms": 5}], 0) == "a b"
