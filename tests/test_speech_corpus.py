"""A corpus of varied scripts through the real speech path (espeak-ng → per-cue synthesis → join →
cues → shots), measured on the audio.

No Dagster here: the narration, subtitle and storyboard functions and the TTS resource are called
directly, exactly as the `audio`, `srt` and `splits` assets call them. For every script the test
measures, on the written WAV, the loudness at each cue switch against the sentence's speech, the
distance from each switch to the next speech onset, cue durations and reading speed, and checks
that no cue or line splits a word (jieba), a number, a bracket or a quotation. `pytest -s` prints
the figures per script.
"""

import array
import random
import re
import statistics
import wave
from datetime import timedelta

import pytest
import srt

from batchvideo_media.audio import SILENCE_THRESHOLD, TimedSentence, read_pcm16_mono, wav_duration_ms
from batchvideo_media.normalize import language_family
from batchvideo_media.segment import CLOSERS_OF, OPENERS
from batchvideo_media.storyboard import assign_kinds, group_cues
from batchvideo_media.subtitles import (
    CUE_MAX_S,
    CUE_MIN_S,
    build_cues,
    line_limit,
    to_srt,
    to_traditional,
)
from batchvideo_media.text import is_cjk, is_speakable, split_sentences, strip_pictographs, text_width
from batchvideo_resources.narration import synthesize_narration
from batchvideo_resources.tts import TTSResource

pytestmark = pytest.mark.media

LEAD_MS = 100


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
    ("zh_news_dates_brands", "zh-CN", "cmn", True, False, 1.0,
     "新华社北京2024年3月5日电，第十四届全国人大二次会议在人民大会堂开幕。报告显示，去年国内生产总值增长5.2%，"
     "城镇新增就业1244万人。华为、比亚迪和宁德时代等企业的研发投入同比增长了15%~20%。此外，"
     "全国铁路旅客发送量达到38.5亿人次，高铁车厢内禁止使用电子设备的规定已经取消。"),
    ("zh_story_numbers_quotes", "zh-CN", "cmn", True, False, 1.0,
     "1998年的夏天，爷爷在院子里种下了一棵银杏树（约6米高）。他常说：“树和人一样，要慢慢长。”"
     "二十多年过去了，这棵树已经结了15000次果子，价格从每斤¥3.5涨到了¥28。"
     "今年春天，我在《中国植物志》里读到了它的名字，心里一阵温暖。"),
    ("zh_vertical_list", "zh-CN", "cmn", True, True, 1.0,
     "今天分享三个省钱小技巧。第一，每月初制定预算，把支出控制在收入的70%以内。第二，网购前先把商品放进购物车，"
     "等24小时再决定。第三，下午3:30以后去超市，面包和蔬菜常常打八折。你学会了吗？"),
    ("en_news_money", "en-US", "en-us", False, False, 1.0,
     "On March 5, 2024, the new solar plant outside Washington, D.C. added 35,000 megawatts to the grid. "
     "The project cost about $3.5 billion, and Dr. Maria Lopez says it will pay for itself by 2031. "
     "Residents will save roughly $12,000 over 20 years, according to the U.S. Department of Energy."),
    ("en_story_quotes", "en-US", "en-us", False, True, 1.0,
     "Maria says, \"Every morning at 6:30 a.m., I run 5 km along the river.\" She started in the 1990s, "
     "when the path (then just a muddy trail) was barely 2 meters wide. Today she is 5th in her age group, "
     "and her coach, Mr. Chen, expects her to finish the city marathon in under 4 hours."),
    ("ja_story", "ja-JP", "ja", True, False, 1.0,
     "今日はとてもいい天気ですね。私は朝早く起きて、公園を散歩しました。東京タワーの高さは333メートルで、"
     "毎年たくさんの観光客が訪れます。駅前の新しいカフェでは、コーヒーが一杯450円です。"
     "週末は友達と一緒に映画を見に行く予定です。"),
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


def _rms(samples: array.array, rate: int, start_ms: float, end_ms: float) -> float:
    window = samples[max(0, int(start_ms * rate / 1000)):max(0, int(end_ms * rate / 1000))]
    return (sum(v * v for v in window) / len(window)) ** 0.5 if len(window) else 0.0


def _speech_rms(samples: array.array, rate: int, start_ms: int, end_ms: int) -> float:
    """Median RMS of the sentence's 20 ms frames that carry speech (above −40 dBFS)."""
    frames = [_rms(samples, rate, t, t + 20) for t in range(start_ms, end_ms - 20, 20)]
    voiced = [f for f in frames if f > SILENCE_THRESHOLD]
    return statistics.median(voiced) if voiced else 0.0


def _onset_after(samples: array.array, rate: int, at_ms: int) -> int:
    """Milliseconds from `at_ms` to the first sample above −40 dBFS (the next sound)."""
    first = int(at_ms * rate / 1000)
    index = next((i for i in range(first, len(samples)) if abs(samples[i]) > SILENCE_THRESHOLD), len(samples))
    return round((index - first) * 1000 / rate)


def _jieba_bounds(text: str) -> set[int]:
    import jieba

    bounds, position = {0}, 0
    for word in jieba.lcut(text):
        position += len(word)
        bounds.add(position)
    return bounds


def _breaks_inside_word(sentence: str, pieces: list[str]) -> list[str]:
    """Cuts between `pieces` (cue or line texts, in order) that fall inside a jieba word."""
    bounds, position, bad = _jieba_bounds(sentence), 0, []
    for piece in pieces[:-1]:
        found = sentence.find(piece.strip(), position)
        if found < 0:
            continue
        position = found + len(piece.strip())
        if position not in bounds and is_cjk(sentence[position - 1]) and is_cjk(sentence[position:position + 1] or " "):
            bad.append(f"{sentence[max(0, position - 4):position]}|{sentence[position:position + 4]}")
    return bad


def _groups(text: str) -> list[tuple[int, int]]:
    """(start, end) of every bracket group and quotation in `text`."""
    closers = set(CLOSERS_OF.values())
    groups, stack, quote = [], [], None
    for i, ch in enumerate(text):
        if ch in OPENERS:
            stack.append(i)
        elif ch in closers and stack:
            groups.append((stack.pop(), i + 1))
        elif ch == '"':
            if quote is None:
                quote = i
            else:
                groups.append((quote, i + 1))
                quote = None
    return groups


def _cuts(text: str, pieces: list[str]) -> list[int]:
    """Offsets in `text` where consecutive `pieces` (cue or line texts) meet."""
    position, cuts = 0, []
    for piece in pieces[:-1]:
        position = text.find(piece.strip(), position) + len(piece.strip())
        cuts.append(position)
    return cuts


def _split_groups(text: str, pieces: list[str], fits_width: int) -> list[str]:
    """Bracket groups/quotations that fit `fits_width` with a punctuation mark after them, split by a
    cut between `pieces`."""
    return [text[a:b] for a, b in _groups(text) if text_width(text[a:b]) + 2 <= fits_width
            for k in _cuts(text, pieces) if a < k < b]


FIGURES: dict[str, dict] = {}


@pytest.fixture(scope="module")
def tts():
    return TTSResource()


@pytest.fixture(scope="module", autouse=True)
def print_figures():
    yield
    if FIGURES:
        print("\nscript                       lang  cues  switches  switch/speech RMS (max)  onset after switch ms "
              "(median/max)  cue s (min/max)  reading (median/max)")
        for name, f in FIGURES.items():
            print(f"{name:28s} {f['lang']:5s} {f['cues']:4d} {f['switches']:9d}  {f['rms_ratio_max']:23.3f}  "
                  f"{f['onset_median']:>12.0f}/{f['onset_max']:<12.0f}  {f['cue_min']:5.2f}/{f['cue_max']:<8.2f}  "
                  f"{f['reading_median']:6.1f}/{f['reading_max']:.1f} {f['reading_unit']}")


@pytest.mark.parametrize("name,language,voice,square,vertical,speed,text", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_script(tmp_path, tts, name, language, voice, square, vertical, speed, text):
    check_script(tmp_path, tts, name, language, voice, square, vertical, speed, text)


# The embedded neural voice (Piper, `neural` extra) speaks the English scripts; the same measured rules hold.
ENGLISH = [c for c in CORPUS if c[1].startswith("en-")]


@pytest.mark.parametrize("name,language,voice,square,vertical,speed,text", ENGLISH, ids=[c[0] for c in ENGLISH])
def test_corpus_script_spoken_by_piper(tmp_path, name, language, voice, square, vertical, speed, text):
    piper = TTSResource(backend="piper")
    assert piper.engine_for(language) == "piper" and piper.model_for(language) == "piper:en_US-joe-medium"
    check_script(tmp_path, piper, f"{name} (piper)", language, voice, square, vertical, speed, text)


def test_piper_leaves_languages_its_voice_does_not_speak_to_espeak(tmp_path):
    piper = TTSResource(backend="piper")
    assert piper.engine_for("zh-CN") == "espeak" and piper.model_for("zh-CN") == "espeak-ng"
    assert piper.voice_for("zh-CN", "cmn") == "cmn-latn-pinyin" and piper.voice_for("en-GB", "en-gb") == "en_US-joe-medium"
    (path,) = piper.synthesize_many(["今天天气很好，我们去海边。"], tmp_path, language="zh-CN", voice="cmn")
    espeak = TTSResource().synthesize_many(["今天天气很好，我们去海边。"], tmp_path / "e", language="zh-CN", voice="cmn")[0]
    assert path.read_bytes() == espeak.read_bytes()


def test_piper_speed_scales_the_narration(tmp_path):
    piper = TTSResource(backend="piper")
    text = "The tide comes in twice a day, and nobody can stop it."
    lengths = {speed: wav_duration_ms(piper.synthesize_many([text], tmp_path / str(speed), language="en-US",
                                                            voice="en-us", speed=speed)[0]) for speed in (1.0, 1.5)}
    assert 0.55 < lengths[1.5] / lengths[1.0] < 0.8, lengths


def check_script(tmp_path, tts, name, language, voice, square, vertical, speed, text):
    sentences = split_sentences(text)
    assert sentences and all(is_speakable(s) for s in sentences)
    assert all(text_width(s) >= 15 for s in sentences[:-1]) or len(sentences) == 1
    limit = line_limit(square, vertical, language)

    # audio: one synthesis per cue, joined with pauses → every cue switch timed from the audio
    out = tmp_path / "audio.wav"
    narration = synthesize_narration(tts, sentences, out, tmp_path / "pieces", language=language, voice=voice,
                                     speed=speed, limit=limit)
    duration_ms = wav_duration_ms(out)
    assert abs(duration_ms - narration.duration_ms) <= 1
    with wave.open(str(out)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
    samples, rate = read_pcm16_mono(out)
    manifest = narration.sentences
    assert [s["text"] for s in manifest] == sentences
    assert manifest[0]["start_ms"] == LEAD_MS
    assert all(a["end_ms"] <= b["start_ms"] for a, b in zip(manifest, manifest[1:]))

    ratios, onsets, lengths, reading = [], [], [], []
    chinese = language_family(language) == "zh"
    for sentence in manifest:
        cues = sentence["cues"]
        assert _letters("".join(c["text"] for c in cues)) == _letters(sentence["text"])
        assert all(c["spoken"] for c in cues)
        speech = _speech_rms(samples, rate, sentence["start_ms"], sentence["end_ms"])
        for a, b in zip(cues, cues[1:]):
            assert a["end_ms"] == b["start_ms"]  # a cue stays up until the next one of its sentence
            ratios.append(_rms(samples, rate, b["start_ms"] - 25, b["start_ms"] + 25) / max(1.0, speech))
            onsets.append(_onset_after(samples, rate, b["start_ms"]))
            # no cue switch inside a number or a bracket/quotation
            assert not (re.search(r"\d[,.]?$", a["text"]) and b["text"][:1].isdigit()), (a["text"], b["text"])
        # a bracket group or quotation that fits in one cue is never split between cues
        assert not _split_groups(sentence["text"], [c["text"] for c in cues], 2 * limit)
        for cue in cues:
            seconds = (cue["end_ms"] - cue["start_ms"]) / 1000
            lengths.append(seconds)
            letters = len(_letters(cue["text"]))
            reading.append(letters / seconds)
            words = [w["text"] for w in cue["words"]]
            assert _letters("".join(words)) == _letters(cue["text"])
            assert all(x["start_ms"] < x["end_ms"] for x in cue["words"])
            assert cue["words"][0]["start_ms"] == cue["start_ms"]
        if chinese:
            assert not _breaks_inside_word(sentence["text"], [c["text"] for c in cues])
    # Every switch falls in a pause: the ±25 ms around it is under a quarter of the speech loudness.
    assert all(r < 0.25 for r in ratios), ratios
    # Cues last CUE_MIN_S–CUE_MAX_S; only a sentence spoken in less than CUE_MIN_S may be shorter, or a
    # cue next to a word wider than a line (hyphenated over both lines, nothing else fits beside it).
    excused = sum(s["end_ms"] - s["start_ms"] < CUE_MIN_S * 1000 for s in manifest) + sum(
        any(text_width(word) > limit for word in c["text"].split()) for s in manifest for c in s["cues"])
    assert sum(x < CUE_MIN_S for x in lengths) <= excused, lengths
    # The switch leads the next cue's first sound (above −40 dBFS) by at most 100 ms.
    assert all(0 < onset <= 100 for onset in onsets), onsets
    assert max(lengths) <= CUE_MAX_S, lengths
    # Reading speed: letters/digits per second a viewer must read.
    cjk = square and language_family(language) in ("zh", "ja", "ko")
    assert statistics.median(reading) <= (9 if cjk else 25) * max(1.0, speed), reading
    FIGURES[name] = {"lang": language, "cues": len(lengths), "switches": len(ratios),
                     "rms_ratio_max": max(ratios, default=0.0), "onset_median": statistics.median(onsets or [0]),
                     "onset_max": max(onsets, default=0), "cue_min": min(lengths), "cue_max": max(lengths),
                     "reading_median": statistics.median(reading), "reading_max": max(reading),
                     "reading_unit": "chars/s"}

    # srt: parses, monotonic, non-overlapping, inside the audio, within line limits, all text shown
    timed = [TimedSentence(c["text"], c["start_ms"], c["end_ms"]) for s in manifest for c in s["cues"]]
    cues = build_cues(timed, square=square, vertical=vertical, audio_ms=round(duration_ms), language=language)
    parsed = list(srt.parse(to_srt(cues)))
    assert len(parsed) == len(timed)  # every planned cue fits its two lines
    previous_end = timedelta(0)
    for cue, planned in zip(parsed, timed):
        assert cue.start == timedelta(milliseconds=planned.start_ms)
        assert previous_end <= cue.start < cue.end <= timedelta(milliseconds=duration_ms)
        lines = cue.content.split("\n")
        assert 1 <= len(lines) <= 2
        assert all(0 < text_width(line) <= limit for line in lines), (lines, limit)
        for a, b in zip(lines, lines[1:]):
            assert not (re.search(r"\d[,.]?$", a) and b[:1].isdigit()), lines  # no number across lines
        assert not _split_groups(planned.text, lines, limit), lines  # nor across lines when it fits one
        if chinese:
            assert not _breaks_inside_word(planned.text, lines), lines
        previous_end = cue.end
    assert _letters("".join(c.content for c in parsed)) == _letters("".join(sentences))

    # splits: shots tile the narration, every cue in exactly one shot
    shots = group_cues(parsed, round(duration_ms), min_shot_ms=7000)
    assert shots[0].start_ms == 0 and shots[-1].end_ms == round(duration_ms)
    assert all(a.end_ms == b.start_ms for a, b in zip(shots, shots[1:]))
    if duration_ms >= 7000:
        assert all(s.duration_ms >= 7000 for s in shots)
    for cue in parsed:
        start, end = round(cue.start.total_seconds() * 1000), round(cue.end.total_seconds() * 1000)
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
    text = next(c[-1] for c in CORPUS if c[0] == "zh_news")
    sentences = [TimedSentence(to_traditional(s), i * 4000, i * 4000 + 3500)
                 for i, s in enumerate(split_sentences(text))]
    cues = build_cues(sentences, square=True, vertical=False, audio_ms=len(sentences) * 4000)
    content = "".join(c.content for c in cues)
    assert "們" in content and "们" not in content
    assert all(text_width(line) <= 26 for c in cues for line in c.content.split("\n"))


def test_mandarin_is_spoken_as_mandarin_not_as_english_pinyin():
    import subprocess

    from batchvideo_media.espeak import espeak_voice

    def phonemes(voice: str, text: str) -> str:
        return subprocess.run(["espeak-ng", "-v", voice, "-q", "-x", text], capture_output=True, text=True).stdout

    sentence = "人工智能正在改变我们的生活。"
    plain = phonemes("cmn", sentence)
    used = phonemes(espeak_voice("cmn"), sentence)
    if "(en)" not in plain:
        pytest.skip("this espeak-ng's cmn voice already speaks Mandarin")
    assert "(en)" not in used  # no switch to English rules inside Chinese text
    assert "(en)" in phonemes(espeak_voice("cmn"), "我们用Python写代码")  # English words stay English


def test_karaoke_word_times_are_where_espeak_says_each_word_starts(tmp_path, tts):
    """Word times come from espeak-ng's own word events, mapped from the spoken form to the shown words:
    "35,000" starts where "thirty-five" does. Printed: how far the speaking-time estimate (what engines
    that report nothing get) lands from them."""
    import json

    from batchvideo_media import espeak_words
    from batchvideo_media.audio import read_pcm16_mono
    from batchvideo_media.espeak_words import words_path
    from batchvideo_resources.narration import word_timings

    figures = {}
    for language, voice, sentence in [
            ("en-US", "en-us", "On March 5, the harbour council approved 35,000 dollars for a new sea wall"),
            ("zh-CN", "cmn", "全国人大今天在北京开会，代表们讨论了新的海堤计划")]:
        work = tmp_path / language
        narration = synthesize_narration(tts, [sentence], work / "a.wav", work / "pieces", language=language,
                                         voice=voice, speed=1.0, limit=line_limit(language == "zh-CN", False))
        samples, rate = read_pcm16_mono(work / "a.wav")
        differences = []
        for cue in narration.sentences[0]["cues"]:
            words = cue["words"]
            assert [w["text"] for w in words] == [w["text"] for w in word_timings(
                cue["text"], cue["start_ms"], cue["end_ms"], samples, rate, language)]
            assert all(a["end_ms"] == b["start_ms"] and a["start_ms"] < a["end_ms"] for a, b in zip(words, words[1:]))
            estimated = word_timings(cue["text"], cue["start_ms"] + 40, cue["end_ms"], samples, rate, language)
            differences += [abs(w["start_ms"] - e["start_ms"]) for w, e in zip(words[1:], estimated[1:])]
            if "35,000" in cue["text"]:
                # espeak-ng speaking the cue again ("thirty five thousand dollars for a new sea wall") reports
                # where "new" and "sea" start (it runs "for a" together: "a" is placed by speaking time);
                # the shown words keep exactly that spacing.
                again = work / "again.wav"
                spoken = cue["spoken"]
                espeak_words.synthesize([(spoken, again)], "en-us", 175)
                events = dict(json.loads(words_path(again).read_text()))
                k = next(i for i, w in enumerate(words) if w["text"] == "new")
                assert words[k + 1]["text"] == "sea"
                reported = (events[spoken.index("sea")] - events[spoken.index("new")]) * 1000 / 22050
                assert abs((words[k + 1]["start_ms"] - words[k]["start_ms"]) - reported) <= 2, (words, reported)
        figures[language] = differences
    for language, differences in figures.items():
        assert len(differences) >= 5
        print(f"\n{language}: the speaking-time estimate lands {statistics.median(differences):.0f} ms (median), "
              f"{max(differences):.0f} ms (max) from espeak-ng's word positions")
