"""espeak-ng's voices: which names it really has, and the voice it actually uses for a language.

Kept free of Dagster so the CLI can validate languages without loading the code location."""

from __future__ import annotations

import functools
import subprocess

ESPEAK_BASE_WPM = 175
# espeak-ng's plain `cmn` voice turns each character into tone-numbered pinyin and then reads that
# pinyin with English rules ("你好" is spoken "ni three hao three"); `cmn-latn-pinyin` speaks the
# same transcription as Mandarin and still reads embedded English words as English.
ESPEAK_VOICE_UPGRADES = {"cmn": "cmn-latn-pinyin", "zh": "cmn-latn-pinyin", "zh-cmn": "cmn-latn-pinyin"}


@functools.lru_cache(maxsize=1)
def espeak_voices() -> frozenset[str]:
    """Names `espeak-ng -v` accepts: language codes, voice names and voice files (lower case); empty
    when espeak-ng is not installed."""
    try:
        listing = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    names: set[str] = set()
    for line in listing.splitlines()[1:]:  # Pty Language Age/Gender VoiceName File Other-languages
        cols = line.split()
        if len(cols) >= 5:
            names.update({cols[1].lower(), cols[3].lower(), cols[4].lower(), cols[4].rsplit("/", 1)[-1].lower()})
    return frozenset(names)


def espeak_voice(voice: str) -> str:
    """The espeak-ng voice that actually gets used for a `languages.tts_voice` value."""
    better = ESPEAK_VOICE_UPGRADES.get(voice.lower())
    return better if better and better in espeak_voices() else voice


@functools.lru_cache(maxsize=64)
def espeak_missing_voice(voice: str) -> str | None:
    """Why espeak-ng cannot speak `voice` (a `languages.tts_voice`), or None when it can.

    Asks espeak-ng itself: voice names, language codes and file names ("fr", "fr-fr") all count."""
    try:
        proc = subprocess.run(["espeak-ng", "-v", espeak_voice(voice), "-q", "-x", "a"], capture_output=True,
                              text=True, timeout=30)
    except OSError:
        return "espeak-ng is not installed (apt-get install espeak-ng)"
    except subprocess.SubprocessError as exc:
        return f"espeak-ng did not answer ({exc})"
    if proc.returncode != 0:
        return f"espeak-ng has no voice {voice!r} (install espeak-ng-data, or configure a neural TTS server)"
    return None
