"""espeak-ng through its library, so each WAV comes with where every word starts in it.

espeak-ng reports a word event (the word's character position and the sample where its sound
starts) for every word it speaks; the command-line program throws them away. Karaoke highlighting
needs them: estimated word times were measured up to 0.3–0.5 s off inside a cue.

The library runs in a child process (`python -m batchvideo_media.espeak_words`), bounded and killed
like every other external program: the library is not thread-safe and a hang must not take the step
with it. The child reads one JSON job on stdin,

    {"voice": "en-us", "wpm": 175, "items": [{"text": "…", "out": "/path/s0000.wav"}, …]}

writes each item's WAV (mono 16-bit at espeak's rate) and beside it `<out>.words.json`:
[[character index in the text, sample index], …] for each word, in order.
"""

from __future__ import annotations

import array
import ctypes
import ctypes.util
import json
import sys
import wave
from pathlib import Path

from batchvideo_media.process import run_bounded, time_limit

AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE = 1
EVENT_LIST_TERMINATED, EVENT_WORD = 0, 1


def words_path(wav: Path) -> Path:
    return wav.with_name(wav.name + ".words.json")


def synthesize(items: list[tuple[str, Path]], voice: str, wpm: int) -> None:
    """Speak each (text, out) into `out` and its word events into `words_path(out)`, in one bounded child."""
    job = {"voice": voice, "wpm": wpm, "items": [{"text": text, "out": str(out)} for text, out in items]}
    chars = sum(len(text) for text, _ in items)
    code, _, log = run_bounded([sys.executable, "-m", "batchvideo_media.espeak_words"],
                               what=f"espeak-ng on {items[0][0][:40]!r} and {len(items) - 1} more",
                               timeout=time_limit(chars / 15), input=json.dumps(job).encode())
    if code != 0:
        raise RuntimeError(f"espeak-ng failed for voice {voice!r}: {log[-300:]}")


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


def _main() -> int:
    job = json.loads(sys.stdin.buffer.read())
    lib = ctypes.CDLL(ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1")
    rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None, 0)
    if rate <= 0:
        print("espeak-ng could not start (espeak_Initialize)", file=sys.stderr)
        return 1
    samples, words = array.array("h"), []

    @ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))
    def collect(wav, count, events):
        if count > 0:
            samples.extend(wav[:count])
        i = 0
        while events[i].type != EVENT_LIST_TERMINATED:
            if events[i].type == EVENT_WORD:
                words.append([events[i].text_position - 1, events[i].sample])
            i += 1
        return 0

    lib.espeak_SetSynthCallback(collect)
    voice = job["voice"].encode()
    # `espeak-ng -v` takes voice names, files and language codes; the library takes names and files
    # here, and language codes ("en-gb", whose voice file is gmw/en) as a voice property.
    if lib.espeak_SetVoiceByName(voice) != 0 and lib.espeak_SetVoiceByProperties(
            ctypes.byref(_Voice(None, voice, None, 0, 0, 0, 0, 0, None))) != 0:
        print(f"espeak-ng has no voice {job['voice']!r}", file=sys.stderr)
        return 1
    lib.espeak_SetParameter(ESPEAK_RATE, int(job["wpm"]), 0)
    for item in job["items"]:
        del samples[:]
        words.clear()
        text = item["text"].encode("utf-8")
        if lib.espeak_Synth(text, len(text) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None) != 0:
            print(f"espeak-ng could not speak {item['text'][:40]!r}", file=sys.stderr)
            return 1
        lib.espeak_Synchronize()
        out = Path(item["out"])
        with wave.open(str(out), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            if sys.byteorder == "big":
                samples.byteswap()
            wav.writeframes(samples.tobytes())
        words_path(out).write_text(json.dumps(words))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
