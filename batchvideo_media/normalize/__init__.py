"""What the TTS engine is given: numbers, symbols and abbreviations written out as people say them.

The subtitles keep the text as written; the spoken form is recorded next to it in the audio
manifest and is what every engine (espeak-ng, Piper, the voice-cloning server) receives, so a
reading is the same whichever voice speaks. The work is done by TTS front-end libraries, chosen by
measurement on tests/data/readings.jsonl (figures in docs/narration.md):

- Chinese: WeTextProcessing's prebuilt FSTs (`wetext`, the front end CosyVoice uses), after a pass
  for what it reads as quantities but a listener expects digit by digit (years in ranges and
  titles, phone numbers), 两 before measure words (jieba's classifier tags) and currency symbols;
- Japanese: Open JTalk's dictionary and rules (`pyopenjtalk-plus`): kanji words, counters
  (1人 ひとり, 1日 ついたち, 3つ みっつ) and numbers to kana; particles as pronounced (は わ, へ え),
  after a pass for the shapes it misreads (times, phone groups, currency signs, units, ranges);
- Chinese, Japanese and Korean share finders for fractions, versions, scores, model and Roman
  numerals, codes and long digit runs, each number then read by the language;
- every other language: `num2words` (cardinals, ordinals, years, decimals) placed by the
  language's patterns for times, dates, ranges, phone numbers, money, percentages, units and
  abbreviations below.

Acronyms (two or three capitals, or capitals without a vowel) are spelled letter by letter in
every language, but for the few short ones a language says as words (RAM, ONU); the letters are read
by the language's own voice (in Korean, as Hangul). In en, de, fr and es Roman numerals, fractions,
versions, scores and service numbers are read by shared helpers (`latin.py`: `_romans`, `_fractions`, …).

One module per language (`chinese`, `japanese`, `korean`, `english`, `european` for de/fr/es), the
shapes the CJK languages share in `cjk`, the helpers all share in `common`. Each language's reader
is a tuple of rewrite passes applied in order.
"""

from __future__ import annotations

import re

from batchvideo_media.normalize.chinese import _chinese
from batchvideo_media.normalize.common import _DECORATION, _RANGE
from batchvideo_media.normalize.english import _english
from batchvideo_media.normalize.european import _french, _german, _spanish
from batchvideo_media.normalize.japanese import _japanese
from batchvideo_media.normalize.korean import _korean
from batchvideo_media.text import strip_pictographs


def language_family(language: str) -> str:
    """zh (Mandarin, Cantonese…), ja, ko, en, or the bare language subtag for everything else."""
    base = language.lower().replace("_", "-").split("-")[0]
    if base in ("zh", "cmn", "yue", "wuu", "hak", "nan"):
        return "zh"
    return base


def spoken_form(text: str, language: str) -> str:
    """The sentence (or cue) as the TTS should receive it.

    Emoji and decorative symbols are dropped (espeak would name them: "grinning face", "tilde");
    numbers, currencies, percentages, ranges, dates, times, acronyms and common abbreviations
    are written out for the language so no engine can misread them."""
    text = strip_pictographs(text)
    family = language_family(language)
    handler = {"zh": _chinese, "ja": _japanese, "en": lambda text: _english(text, language), "ko": _korean,
               "de": _german, "fr": _french, "es": _spanish}.get(family)
    if handler:
        text = handler(text)
    else:
        text = _RANGE.sub(" - ", text)
    text = _DECORATION.sub(" ", text)
    return re.sub(r"\s{2,}", " ", text).strip()
