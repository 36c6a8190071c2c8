"""Segmentation and layout to the Netflix Timed Text Style Guide, measured on a multilingual corpus
(tests/data/subtitle_corpus.jsonl) through the real speech path without rendering video: the narration
is synthesised cue by cue by espeak-ng (`synthesize_narration`, as the `audio` asset calls it) and the
SRT cues are built from its manifest (`build_cues`, as the `srt` asset calls it).

Per language the test prints and checks: number + unit / time / currency groups and web addresses kept
whole on one line of one cue, two-line cues that would fit one line, gaps between cues, and cues over
the guide's reading speed."""

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from batchvideo_app.catalog import LANGUAGES
from batchvideo_media.audio import TimedSentence
from batchvideo_media.normalize import language_family
from batchvideo_media.subtitles import (
    FPS,
    MIN_GAP_FRAMES,
    build_cues,
    line_limit,
    reading_speed,
    subtitle_guide,
    wrap,
)
from batchvideo_media.text import split_sentences
from batchvideo_resources.narration import synthesize_narration
from batchvideo_resources.tts import TTSResource

pytestmark = pytest.mark.media
VOICES = {code: voice for code, _, voice, _ in LANGUAGES}

CORPUS = [json.loads(line) for line in
          (Path(__file__).parent / "data" / "subtitle_corpus.jsonl").read_text().splitlines() if line.strip()]
# What a number is read with, written independently of the code under test.
_LATIN_GROUP = re.compile(
    r"[$€]\s?\d[\d.,]*(?:\s(?:billion|million))?|\d+(?:[.,:]\d+)*(?:\s\d{3})*\s?"
    r"(?:%|€|\$|GHz|GW|kW|W\b|km\b|km/h|a\.m\.|p\.m\.|Uhr|horas|Std\.|min\.|kcal|Mio\.(?:\s€)?|h\s\d\d)"
    r"|\b(?:ICE|AVE|TGV|BA|UA)\s\d+")
_CJK_GROUP = re.compile(r"\d+(?:[.,:]\d+)*(?:%|℃|[万亿萬億]?(?:公里|个|個|辆|輛|元|年|升|架|人|円|台|万|億|명|원|년|킬로미터|キロ))")
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.\w+|(?:www\.)?[\w-]+\.(?:gov|de|com|org)\b", re.ASCII)  # an address is ASCII; \w would take the CJK words around it


def _square(language: str) -> bool:
    return language_family(language) in ("zh", "ja", "ko")


def _cues(text: str, language: str, folder: Path):
    """Narration as the `audio` asset makes it, subtitles as the `srt` asset builds them."""
    limit = line_limit(_square(language), False, language)
    narration = synthesize_narration(TTSResource(), split_sentences(text), folder / "audio.wav", folder / "pieces",
                                     language=language, voice=VOICES[language], speed=1.0, limit=limit)
    timed = [TimedSentence(c["text"], c["start_ms"], c["end_ms"]) for s in narration.sentences for c in s["cues"]]
    return build_cues(timed, _square(language), False, audio_ms=narration.duration_ms, language=language), limit


def test_cues_keep_groups_whole_fit_lines_leave_gaps_and_reading_time(capsys, tmp_path):
    stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    problems = []
    for item in CORPUS:
        language, text = item["language"], item["text"]
        base = language.split("-")[0]
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        cues, limit = _cues(text, language, folder)
        lines = [line for cue in cues for line in cue.content.split("\n")]
        s = stats[base]
        groups = (_CJK_GROUP if _square(language) else _LATIN_GROUP).findall(text) + _ADDRESS.findall(text)
        for group in groups:
            s["groups"] += 1
            if sum(line.count(group) for line in lines) >= text.count(group):
                s["whole"] += 1
            else:
                problems.append(f"{language}: {group!r} split in {[c.content for c in cues]}")
        for k, cue in enumerate(cues):
            s["cues"] += 1
            rows = cue.content.split("\n")
            s["one_line"] += len(rows) == 1
            # A line break replaces a space except in Chinese and Japanese, which write no spaces.
            joined = ("" if language_family(language) in ("zh", "ja") else " ").join(rows)
            if len(rows) > 1 and len(wrap(joined, limit)) == 1:
                s["two_line_fits_one"] += 1
                problems.append(f"{language}: two lines fit one: {cue.content!r}")
            if k + 1 < len(cues):
                gap_frames = (cues[k + 1].start - cue.end).total_seconds() * FPS
                s["gaps"] += 1
                s["short_gaps"] += gap_frames < MIN_GAP_FRAMES - 0.01
            s["over_speed"] += reading_speed(cue) > subtitle_guide(language).chars_per_second
    with capsys.disabled():
        print("\nlanguage  groups whole  one-line cues  2-line fits 1  gaps < 2 frames  over reading speed")
        for base, s in stats.items():
            print(f"{base:8}  {s['whole']:.0f}/{s['groups']:.0f}{'':7}  {s['one_line']:.0f}/{s['cues']:.0f}{'':9}"
                  f"{s['two_line_fits_one']:.0f}{'':14}{s['short_gaps']:.0f}/{s['gaps']:.0f}{'':12}"
                  f"{s['over_speed']:.0f}/{s['cues']:.0f} (limit {subtitle_guide(base).chars_per_second:g} cps)")
    assert all(s["whole"] == s["groups"] for s in stats.values()), "\n".join(problems)
    assert not any(s["two_line_fits_one"] for s in stats.values()), "\n".join(problems)
    assert not any(s["short_gaps"] for s in stats.values())
    over = {base: stats[base]["over_speed"] / stats[base]["cues"] for base in ("zh", "en", "de", "es")}
    assert all(share <= 0.05 for share in over.values()), over
    assert sum(s["groups"] for s in stats.values()) >= 40, "the corpus exercises the groups"
