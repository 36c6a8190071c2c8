"""A corpus of varied scripts through the real speech path (espeak-ng → join → cues → shots).

No Dagster here: the pure media functions and the TTS resource are called directly, exactly
as the `audio`, `srt` and `splits` assets call them, and every outcome is checked on the files.
"""

import random
import wave
from datetime import timedelta

import pytest
import srt

from batchvideo_media.audio import TimedSentence, join_wavs, wav_duration_ms
from batchvideo_media.storyboard import assign_kinds, group_cues
from batchvideo_media.subtitles import (
    build_cues,
    line_limit,
    to_srt,
    to_traditional,
)
from batchvideo_media.text import (
    is_speakable,
    split_sentences,
    spoken_form,
    strip_pictographs,
    text_width,
)
from batchvideo_resources.tts import TTSResource

PAUSE_MS, LEAD_MS = 300, 100


def _long_chinese(chars: int) -> str:
    rng = random.Random(2000)
    clauses = ["人工智能正在改变我们的生活", "早上醒来智能音箱为你播报天气", "出门上班导航软件帮你避开拥堵",
               "在医院里医生借助算法更早地发现疾病", "科学家们用超级计算机模拟气候变化", "城市的夜晚灯火通明",
               "孩子们在公园里踢球", "2024年全球气温上升了1.5℃", "百分之八十的人每天使用手机", "你觉得未来会更美好吗"]
    text = ""
    while len(text) < chars:
        text += rng.choice(clauses) + rng.choice("，，，。！？；")
    return text[:chars - 1] + "。"


# (name, language code, espeak voice, CJK-style lines, vertical layout, speed, text)
CORPUS = [
    ("zh_news", "zh-CN", "cmn", True, False, 1.0,
     "人工智能正在改变我们的生活。早上醒来，智能音箱为你播报天气；出门上班，导航软件帮你避开拥堵！"
     "在医院里，医生借助算法更早地发现疾病。你觉得未来会更美好吗？"),
    ("zh_vertical", "zh-CN", "cmn", True, True, 1.0,
     "长江是中国第一大河，全长约6300公里，流经青海、西藏、四川、云南、重庆、湖北、湖南、江西、安徽、江苏和上海。"),
    ("zh_numbers", "zh-CN", "cmn", True, False, 1.0,
     "2024年，公司营收增长了35.7%，利润达到1,280万元。气温在-5℃到12℃之间，降水概率约30%~40%。第3季度的用户数为12345人。"),
    ("zh_quotes", "zh-CN", "cmn", True, False, 1.0,
     "他说：“我们明天再来。”她回答：「好的，一言为定！」《三体》是一本好书（作者：刘慈欣）。"),
    ("zh_punctuation_heavy", "zh-CN", "cmn", True, True, 1.0,
     "什么？！真的吗……不会吧——这也太、太、太巧了！！！嗯，嗯；好吧：就这样。。。"),
    ("zh_one_sentence", "zh-CN", "cmn", True, False, 1.0, "今天天气很好"),
    ("zh_no_punctuation_long", "zh-CN", "cmn", True, True, 1.0,
     "这是一段没有任何标点符号的很长很长的文字它一直在说话从来不停下来喘口气" * 3),
    ("zh_emoji", "zh-CN", "cmn", True, False, 1.0,
     "今天去海边玩啦🌊🏖️！吃了好多海鲜🦀🦞，开心😄😄。😀 明天继续加油💪！"),
    ("zh_fast", "zh-CN", "cmn", True, False, 2.0, "语速加快以后，句子的时长应该明显缩短，但字幕仍然准确同步。"),
    ("zh_slow", "zh-CN", "cmn", True, False, 0.5, "语速放慢以后，每个句子都会更长。"),
    ("zh_markers_controls", "zh-CN", "cmn", True, False, 1.0,
     "第一段#@#pause=500#@#内容在这里。\x00\x07\u200b第二段\t\t也在这里，\r\n\r\n第三段结束。"),
    ("zh_very_long", "zh-CN", "cmn", True, False, 1.0, _long_chinese(2000)),
    ("en_explainer", "en-US", "en-us", False, False, 1.0,
     "Have you ever wondered why the ocean is salty? Rain slowly wears down rocks on land. "
     "Minerals wash into rivers and travel to the sea, where the salt stays behind."),
    ("en_vertical_abbreviations", "en-US", "en-us", False, True, 1.2,
     "Mr. Smith met Dr. Jones at 9 a.m. in the U.S. capital. They discussed the No. 1 problem: "
     "internationalization, telecommunications, and so on, e.g. supercalifragilisticexpialidocious words."),
    ("en_numbers_symbols", "en-US", "en-us", False, False, 1.0,
     "In 2023, revenue grew 12.5% to $4.2 billion. About 3~5 people out of 10 agree; the rest (roughly 60%) don't. "
     "Temperatures ranged from -4°C to 31°C. Call 555-0100 or email info@example.com #1 *now*."),
    ("en_quotes_dialogue", "en-US", "en-us", False, False, 1.0,
     "\"Stop right there.\" She turned around. 'Why?' he asked... \"Because I said so!\" "
     "And that—as they say—was that."),
    ("en_one_word", "en-US", "en-us", False, False, 1.0, "Hello."),
    ("en_emoji_only_pieces", "en-US", "en-us", False, True, 1.0,
     "Great news today! 🎉🎉🎉 We shipped the new release. 🚀 Thanks everyone ❤️ for the support."),
    ("mixed_zh_en", "zh-CN", "cmn", True, False, 1.0,
     "我们用Python和JavaScript开发了一个AI应用，支持iOS和Android。The app is free to download，欢迎试用！"),
    ("fr_accents", "fr-FR", "fr", False, False, 1.0,
     "Le cœur a ses raisons que la raison ne connaît point. « C'est magnifique ! » dit-elle, émerveillée."),
    ("de_long_words", "de-DE", "de", False, True, 1.0,
     "Die Donaudampfschifffahrtsgesellschaft ist ein berühmtes Beispiel. Rechtsschutzversicherungen sind teuer."),
    ("ar_rtl", "ar", "ar", False, False, 1.0,
     "مرحبا بكم في هذا الفيديو. اليوم سنتحدث عن الذكاء الاصطناعي، وكيف يغير حياتنا اليومية؟"),
    ("ja_kana", "ja-JP", "ja", True, False, 1.0,
     "今日はとてもいい天気ですね。散歩に行きましょう！ちょっと待って、傘を持っていきます。"),
    ("ru_cyrillic", "ru-RU", "ru", False, False, 1.0,
     "Добро пожаловать! Сегодня мы поговорим о космосе, звёздах и планетах. Это очень интересно."),
]


def _letters(text: str) -> str:
    return "".join(ch for ch in strip_pictographs(text) if ch.isalnum())


@pytest.fixture(scope="module")
def tts():
    return TTSResource()


@pytest.mark.parametrize("name,language,voice,square,vertical,speed,text", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_script(tmp_path, tts, name, language, voice, square, vertical, speed, text):
    sentences = split_sentences(text)
    assert sentences and all(is_speakable(s) for s in sentences)
    assert all(text_width(s) >= 15 for s in sentences[:-1]) or len(sentences) == 1

    # audio: one synthesis per sentence, joined with fixed pauses → exact timings
    spoken = [spoken_form(s, language) or s for s in sentences]
    paths = tts.synthesize_many(spoken, tmp_path / "parts", language=language, voice=voice, speed=speed)
    out = tmp_path / "audio.wav"
    timings = join_wavs(list(zip(sentences, paths)), out, pause_ms=PAUSE_MS, lead_ms=LEAD_MS)
    duration_ms = wav_duration_ms(out)
    spoken_ms = sum(t.end_ms - t.start_ms for t in timings)
    assert abs(duration_ms - (spoken_ms + PAUSE_MS * (len(timings) - 1) + 2 * LEAD_MS)) <= 50
    assert timings[0].start_ms == LEAD_MS
    assert all(b.start_ms - a.end_ms == PAUSE_MS for a, b in zip(timings, timings[1:]))
    assert all(t.end_ms > t.start_ms for t in timings)
    with wave.open(str(out)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2

    # srt: parses, monotonic, non-overlapping, inside the audio, within line limits, all text shown
    cues = build_cues(timings, square=square, vertical=vertical, audio_ms=round(duration_ms))
    parsed = list(srt.parse(to_srt(cues)))
    assert len(parsed) == len(cues) >= len(sentences)
    limit = line_limit(square, vertical)
    previous_end = timedelta(0)
    for cue in parsed:
        assert previous_end <= cue.start < cue.end <= timedelta(milliseconds=duration_ms)
        lines = cue.content.split("\n")
        assert 1 <= len(lines) <= 2
        assert all(0 < text_width(line) <= limit for line in lines), (lines, limit)
        previous_end = cue.end
    assert _letters("".join(c.content for c in parsed)) == _letters("".join(sentences))
    for timing in timings:  # each sentence's cues exactly fill the sentence's time
        start, end = timedelta(milliseconds=timing.start_ms), timedelta(milliseconds=timing.end_ms)
        inside = [c for c in parsed if start <= c.start < end]
        assert inside[0].start == timedelta(milliseconds=timing.start_ms)
        assert inside[-1].end == timedelta(milliseconds=timing.end_ms)
        assert all(a.end == b.start for a, b in zip(inside, inside[1:]))

    # splits: shots tile the narration, every cue in exactly one shot
    shots = group_cues(parsed, round(duration_ms), min_shot_ms=7000)
    assert shots[0].start_ms == 0 and shots[-1].end_ms == round(duration_ms)
    assert all(a.end_ms == b.start_ms for a, b in zip(shots, shots[1:]))
    if duration_ms >= 7000:
        assert all(s.duration_ms >= 7000 for s in shots)
    for cue in parsed:
        start, end = cue.start.total_seconds() * 1000, cue.end.total_seconds() * 1000
        assert sum(s.start_ms <= start and end <= s.end_ms for s in shots) == 1
    assign_kinds(shots, 0.4, seed=name)
    assert shots[0].kind == "image"


def test_speed_changes_narration_length(tmp_path, tts):
    text = "语速设置应该改变旁白的长度，而字幕仍然与声音同步。"
    lengths = {}
    for speed in (0.5, 1.0, 2.0):
        (path,) = tts.synthesize_many([text], tmp_path / str(speed), language="zh-CN", voice="cmn", speed=speed)
        lengths[speed] = wav_duration_ms(path)
    assert lengths[0.5] > lengths[1.0] * 1.4 and lengths[2.0] < lengths[1.0] * 0.7


def test_traditional_subtitles_keep_timing_and_limits():
    text = CORPUS[0][-1]
    sentences = [TimedSentence(to_traditional(s), i * 4000, i * 4000 + 3500)
                 for i, s in enumerate(split_sentences(text))]
    cues = build_cues(sentences, square=True, vertical=False, audio_ms=len(sentences) * 4000)
    content = "".join(c.content for c in cues)
    assert "們" in content and "们" not in content
    assert all(text_width(line) <= 26 for c in cues for line in c.content.split("\n"))


def test_mandarin_is_spoken_as_mandarin_not_as_english_pinyin():
    import subprocess

    from batchvideo_resources.tts import espeak_voice

    def phonemes(voice: str, text: str) -> str:
        return subprocess.run(["espeak-ng", "-v", voice, "-q", "-x", text], capture_output=True, text=True).stdout

    sentence = "人工智能正在改变我们的生活。"
    plain = phonemes("cmn", sentence)
    used = phonemes(espeak_voice("cmn"), sentence)
    if "(en)" not in plain:
        pytest.skip("this espeak-ng's cmn voice already speaks Mandarin")
    assert "(en)" not in used  # no switch to English rules inside Chinese text
    assert "(en)" in phonemes(espeak_voice("cmn"), "我们用Python写代码")  # English words stay English
