"""Pure text, subtitle and storyboard logic: splitting, spoken form, wrapping, cues, shots."""

import re
from datetime import timedelta

import pytest
import srt

from batchvideo_media.audio import TimedSentence
from batchvideo_media.normalize import spoken_form
from batchvideo_media.storyboard import (
    assign_kinds,
    clean_keywords,
    group_cues,
    keywords_from_text,
)
from batchvideo_media.subtitles import (
    NO_LINE_END,
    NO_LINE_START,
    build_cues,
    cue_texts,
    line_limit,
    to_srt,
    to_traditional,
    wrap,
)
from batchvideo_media.text import (
    is_speakable,
    normalise,
    split_sentences,
    strip_pictographs,
    text_width,
)


def _letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


# --- normalisation and sentence splitting -------------------------------------------------------

def test_normalise_removes_markers_controls_and_extra_space():
    raw = "第一句#@#pause 500#@#话。\x00\x07\u200b Hello\t\tworld\u3000 ！\r\n\r\n  ＡＢＣ１２３"
    out = normalise(raw)
    assert "#@#" not in out and "pause" not in out
    assert not any(ord(c) < 32 and c != "\n" for c in out) and "\u200b" not in out
    assert "  " not in out and "Hello world" in out
    assert "ABC123" in out  # full-width letters/digits become ASCII
    assert "\n\n" not in out


@pytest.mark.parametrize("text,expected_count", [
    ("人工智能正在改变我们的生活。早上醒来，智能音箱为你播报天气；出门上班，导航软件帮你避开拥堵！", 3),
    ("Mr. Smith met Dr. Jones in the U.S. capital. They talked for hours about J. K. Rowling.", 2),
    ("\"Stop right there.\" She turned around and left the room. The door closed behind her.", 3),
    ("It happened in 2024. Prices rose by 3.5 percent in one year alone.", 2),
    ("Wait... what was that noise outside? Nobody knows for sure, but it was loud.", 2),
    ("今天的天气真的非常好.我们一起去公园散步吧.", 2),
])
def test_sentences_break_on_sentence_punctuation_only(text, expected_count):
    sentences = split_sentences(text)
    assert len(sentences) == expected_count, sentences
    assert _letters("".join(sentences)) == _letters(normalise(text))


def test_short_pieces_merge_and_long_ones_split():
    sentences = split_sentences("好。是的。我们今天聊一聊人工智能的发展历史和未来。对！")
    assert all(text_width(s) >= 15 for s in sentences), sentences
    long = "，".join(["这是一个很长的句子片段用来测试"] * 12) + "。"
    pieces = split_sentences(long, max_width=120)
    assert len(pieces) > 1 and all(text_width(p) <= 120 for p in pieces)
    assert _letters("".join(pieces)) == _letters(long)
    words = " ".join(["word"] * 80) + "."
    assert all(text_width(p) <= 120 for p in split_sentences(words))


def test_a_heading_line_stays_apart_from_the_sentence_it_joins():
    (first, *_) = split_sentences("第一章\n很久很久以前，有一座山。山上有座庙，庙里有个老和尚。")
    assert first.startswith("第一章 很久")
    (first, *_) = split_sentences("Introduction\nThe ocean is salty because of rocks.")
    assert first.startswith("Introduction The ocean")


def test_emoji_and_symbols_are_never_a_sentence_of_their_own():
    text = "今天天气真好，我们去公园散步吧。😀😀🎉 …… —— 明天见，记得带伞哦！👍"
    sentences = split_sentences(text)
    assert all(is_speakable(s) for s in sentences)
    assert all(spoken_form(s, "zh-CN") for s in sentences)
    assert "😀" in "".join(sentences)  # kept in the text, only left out of speech and subtitles
    assert not any("😀" in spoken_form(s, "zh-CN") for s in sentences)


def test_spoken_form_spells_symbols_espeak_misreads_in_chinese():
    spoken = spoken_form("增长了50%，气温3.5℃，等待3~5天，A&B公司。", "zh-CN")
    assert "百分之五十" in spoken and "%" not in spoken
    assert "三点五摄氏度" in spoken and "三到五" in spoken and "和" in spoken
    english = spoken_form("Growth was 50% in 3~5 years *really* #1 😀", "en-US")
    assert "fifty percent" in english and "three to five" in english and "*" not in english
    assert "number one" in english and "😀" not in english


# --- wrapping ---------------------------------------------------------------------------------

CJK_SAMPLES = [
    "人工智能正在改变我们的生活，早上醒来，智能音箱为你播报天气；出门上班，导航软件帮你避开拥堵！",
    "一二三四五六七八九十一二三，四五六七八九十一二三四五六七八九十。",
    "他说：“我们用Python写代码，然后部署到Kubernetes集群里。”大家都笑了。",
    "（注：本文数据来自2024年的统计报告，仅供参考。）",
]
LATIN_SAMPLES = [
    "Have you ever wondered why the ocean is salty? Rain slowly wears down rocks on land.",
    "Internationalization and telecommunications are extraordinarily long words, aren't they?",
    "A quick brown fox jumps over the lazy dog, again and again, until the sun goes down.",
]


@pytest.mark.parametrize("square,vertical", [(True, False), (True, True)])
@pytest.mark.parametrize("text", CJK_SAMPLES)
def test_cjk_wrap_respects_limit_and_kinsoku(text, square, vertical):
    limit = line_limit(square, vertical)
    assert limit == 26  # 13 CJK characters: ~75 % of a 768 px vertical frame at the vertical font size
    lines = wrap(text, limit)
    assert all(text_width(line) <= limit for line in lines), lines
    assert _letters("".join(lines)) == _letters(text)
    for line in lines[1:]:
        assert line[0] not in NO_LINE_START, lines
    for line in lines[:-1]:
        assert line[-1] not in NO_LINE_END, lines


@pytest.mark.parametrize("vertical", [False, True])
@pytest.mark.parametrize("text", LATIN_SAMPLES)
def test_word_wrap_never_breaks_inside_a_word(text, vertical):
    limit = line_limit(False, vertical)
    assert limit == (22 if vertical else 24)
    lines = wrap(text, limit)
    assert all(len(line) <= limit for line in lines), lines
    words = text.split()
    fitting = [w for w in words if len(w) <= limit]
    line_words = [w for line in lines for w in line.split()]
    for word in fitting:
        assert word in line_words, (word, lines)


def test_balanced_wrap_avoids_a_dangling_last_line():
    lines = wrap("今天下午我们一起去公园散步然后回家吃饭", 26)
    assert len(lines) == 2 and abs(text_width(lines[0]) - text_width(lines[1])) <= 4, lines


def test_overlong_word_is_hyphenated_within_the_limit():
    lines = wrap("supercalifragilisticexpialidocious", 16)
    assert len(lines) > 1 and all(len(line) <= 16 for line in lines)
    assert "".join(line.rstrip("-") for line in lines) == "supercalifragilisticexpialidocious"


def test_long_sentence_becomes_cues_of_at_most_two_lines_breaking_at_clauses():
    text = CJK_SAMPLES[0]
    chunks = cue_texts(text, 16)
    assert len(chunks) > 1
    assert all(len(wrap(c, 16)) <= 2 for c in chunks)
    assert _letters("".join(chunks)) == _letters(text)
    assert sum(c[-1] in "，；！。" for c in chunks) >= len(chunks) - 1  # cut at clause punctuation
    assert all(c[0] not in NO_LINE_START for c in chunks)


# --- cues ---------------------------------------------------------------------------------------

def _check_cues(cues, audio_ms, limit):
    parsed = list(srt.parse(to_srt(cues)))
    assert len(parsed) == len(cues)
    previous_end = timedelta(0)
    for cue in parsed:
        assert cue.start < cue.end and cue.start >= previous_end
        assert cue.end <= timedelta(milliseconds=audio_ms)
        lines = cue.content.split("\n")
        assert 1 <= len(lines) <= 2 and all(text_width(line) <= limit for line in lines), lines
        previous_end = cue.end
    return parsed


def test_cues_share_sentence_time_by_characters_and_never_overlap():
    sentences = [TimedSentence(CJK_SAMPLES[0], 100, 9100), TimedSentence(CJK_SAMPLES[2], 9400, 15000)]
    cues = build_cues(sentences, square=True, vertical=True, audio_ms=15100)
    parsed = _check_cues(cues, 15100, 26)
    assert parsed[0].start == timedelta(milliseconds=100)
    first_sentence = [c for c in parsed if c.end <= timedelta(milliseconds=9100)]
    assert first_sentence[-1].end == timedelta(milliseconds=9100)
    # Time per cue follows its share of characters (within rounding).
    total = sum(len(_letters(c.content)) for c in first_sentence)
    for cue in first_sentence:
        share = len(_letters(cue.content)) / total * 9000
        assert abs((cue.end - cue.start).total_seconds() * 1000 - share) < 2


def test_cues_are_clamped_to_audio_and_overlapping_input_is_repaired():
    sentences = [TimedSentence("First sentence of the narration here.", 0, 3000),
                 TimedSentence("Second one overlaps the first by a lot.", 2000, 5000),
                 TimedSentence("Third runs past the end of the audio file.", 4800, 9000)]
    _check_cues(build_cues(sentences, square=False, vertical=False, audio_ms=6000), 6000, 24)


def test_cue_text_is_safe_for_srt_and_free_of_emoji():
    sentences = [TimedSentence("Arrows --> confuse parsers 😀\n\nand blank lines too.", 0, 2000)]
    cues = build_cues(sentences, square=False, vertical=False, audio_ms=2000)
    parsed = _check_cues(cues, 2000, 24)
    assert "-->" not in parsed[0].content and "😀" not in parsed[0].content


def test_traditional_chinese_conversion():
    text = "人工智能正在改变我们的生活，医生发现疾病。"
    converted = to_traditional(text)
    assert converted != text and "們" in converted and "發現" in converted
    assert len(converted) == len(text)


# --- storyboard ---------------------------------------------------------------------------------

def _cues(spans):
    return [srt.Subtitle(i + 1, timedelta(milliseconds=a), timedelta(milliseconds=b), f"cue {i}")
            for i, (a, b) in enumerate(spans)]


def _sentence_like_spans(count, seed=7):
    import random

    rng = random.Random(seed)
    spans, t = [], 100
    for _ in range(count):
        parts = rng.choice([1, 1, 2, 3])
        for _ in range(parts):
            length = rng.randint(600, 3500)
            spans.append((t, t + length))
            t += length
        t += 300
    return spans, t + 100


@pytest.mark.parametrize("min_shot_ms", [3000, 7000, 12000])
def test_shots_tile_narration_and_hold_every_cue_once(min_shot_ms):
    spans, total = _sentence_like_spans(30)
    cues = _cues(spans)
    shots = group_cues(cues, total, min_shot_ms)
    assert shots[0].start_ms == 0 and shots[-1].end_ms == total
    assert all(a.end_ms == b.start_ms for a, b in zip(shots, shots[1:]))
    assert all(s.duration_ms >= min_shot_ms for s in shots)
    texts = " ".join(s.text for s in shots).split()
    assert texts.count("cue") == len(cues)
    # Every cue lies inside exactly one shot.
    for a, b in spans:
        assert sum(s.start_ms <= a and b <= s.end_ms for s in shots) == 1


def test_shots_prefer_to_start_at_sentence_boundaries():
    spans, total = _sentence_like_spans(40, seed=3)
    sentence_starts = {spans[0][0]} | {b[0] for a, b in zip(spans, spans[1:]) if b[0] > a[1]}
    shots = group_cues(_cues(spans), total, 7000)
    inner = [s.start_ms for s in shots[1:]]
    assert sum(start in sentence_starts for start in inner) >= 0.8 * len(inner)


def test_short_narration_is_one_shot():
    shots = group_cues(_cues([(100, 2000), (2300, 4000)]), 4100, 7000)
    assert len(shots) == 1 and (shots[0].start_ms, shots[0].end_ms) == (0, 4100)


@pytest.mark.parametrize("ratio", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_broll_kinds_follow_ratio_spread_and_deterministic(ratio):
    spans, total = _sentence_like_spans(60)
    shots = group_cues(_cues(spans), total, 5000)
    assign_kinds(shots, ratio, seed="script-42")
    kinds = [s.kind for s in shots]
    again = group_cues(_cues(spans), total, 5000)
    assign_kinds(again, ratio, seed="script-42")
    assert kinds == [s.kind for s in again]
    assert kinds[0] == "image"
    assert kinds.count("broll") == min(round(ratio * len(shots)), len(shots) - 1)
    if 0 < ratio <= 0.5:
        positions = [i for i, k in enumerate(kinds) if k == "broll"]
        gaps = [b - a for a, b in zip(positions, positions[1:])]
        assert max(gaps, default=1) <= 2 * len(shots) / max(1, len(positions))  # spread, not clumped


def test_keywords_are_two_to_four_english_words():
    assert 2 <= len(keywords_from_text("人工智能改变生活", [])) <= 4
    assert not {"cke", "br"} & set(keywords_from_text("Die Brücke ist lang", ["bridge"]))
    words = keywords_from_text("The ocean is salty because minerals wash into rivers and seas", ["science"])
    assert 2 <= len(words) <= 4 and all(w.isascii() and w == w.lower() for w in words)
    assert "the" not in words
    assert clean_keywords(["Ocean", "ocean", "海洋", "  Deep  Sea "], ["x", "y"]) == ["ocean", "deep sea"]


def test_strip_pictographs_keeps_text():
    assert strip_pictographs("Hello 👋🏽 world ❤️") == "Hello world"


# --- the Netflix guide: sentence ends, groups, addresses, gaps ------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("Meet at 8:45 a.m. tomorrow in the hall near the gate.", 1),
    ("It ended in the 21st. The next one starts soon after that.", 2),
    ("Es kostet 89,90 €. Es ist sehr teuer für uns alle hier.", 2),
    ("Am 12. Mai kam Dr. Müller nach Hause, sagte er uns.", 1),
    ("Obst, z. B. Äpfel und Birnen, ist gesund für alle hier.", 1),
    ("We sell apples, pears, etc. The shop opens at 9 a.m. Come early please.", 3),
    ("Danach sollte er mind. 4 Std. im Kühlschrank ruhen, sagte sie.", 1),
    ("Les bus passent toutes les 10 min. jusqu'à midi, dit-il.", 1),
    ("Une part apporte env. 450 kcal selon le chef du restaurant.", 1),
    ("Hay vientos de 90 km/h. Mañana llegará la calma a la costa.", 2),
    ("Der Kuchen backt 60 Min. Danach kühlt er auf dem Gitter ab.", 2),
])
def test_abbreviations_and_ordinals_end_a_sentence_only_when_one_ends(text, expected):
    assert len(split_sentences(text, min_width=1)) == expected, split_sentences(text, min_width=1)


@pytest.mark.parametrize("group", ["8:45 a.m.", "3.5 GHz", "89,90 €", "15 h 30", "1,3 %", "$18,000", "82,35 $",
                                   "ICE 577", "4 Std.", "450 kcal"])
def test_a_number_stays_with_its_unit_on_one_line_and_in_one_cue(group):
    sentence = f"The figure we keep coming back to in this report is {group}, and it matters a lot to us."
    for limit in (24, 42):
        chunks = cue_texts(sentence, limit, "en-US")
        assert sum(group in line for chunk in chunks for line in wrap(chunk, limit)) == 1, (limit, chunks)


@pytest.mark.parametrize("text", ["煮込みには2〜3時間かかります。", "営業は9〜17時、土曜日は10〜15時です。",
                                  "营业时间9～22点，周末10～20点营业。"])
def test_a_range_of_numbers_stays_on_one_line(text):
    # (a CJK tokenizer gives "2", "〜", "3時間" apart; the layout once chose "煮込みには2〜 | 3時間かかります。")
    ranges = re.findall(r"\d+[〜～]\d+", text)
    lines = wrap(text, 26)
    assert len(lines) > 1 and all(sum(r in line for line in lines) == 1 for r in ranges), lines


def test_a_web_address_is_never_hyphenated_or_split():
    address = "https://www.federalreserve.gov/monetarypolicy/openmarket.htm"
    lines = wrap(f"The full statement is at {address} for anyone.", 24)
    assert address in lines and not any(line.endswith("-") for line in lines), lines


def test_cues_follow_the_netflix_guide_for_gaps_and_reading_time():
    sentences = [TimedSentence("A short line.", 0, 600), TimedSentence("Then the next one follows.", 700, 2000),
                 TimedSentence("And after a long pause, the last one.", 4000, 6000)]
    cues = build_cues(sentences, square=False, vertical=False, audio_ms=8000, language="en-US")
    gaps = [(b.start - a.end).total_seconds() * 1000 for a, b in zip(cues, cues[1:])]
    assert gaps[0] == 80  # a 100 ms gap (under 12 frames) is closed down to 2 frames at 25 fps
    # reading time: 5/6 s at least, or the text at 20 chars/s, into the silence after the speech
    assert (cues[0].end - cues[0].start).total_seconds() * 1000 == 620
    assert (cues[1].end - cues[1].start).total_seconds() * 1000 == 1300  # speech ended at 2000, room to 3920
    assert cues[2].end == timedelta(milliseconds=6000)
    assert all(len(c.content.split("\n")) == 1 for c in cues)  # each fits one 42-character line
    assert line_limit(False, False, "en-US") == 42 and line_limit(True, False, "zh-CN") == 32
    assert line_limit(True, False, "ja-JP") == 26 and line_limit(True, True, "zh-CN") == 26
