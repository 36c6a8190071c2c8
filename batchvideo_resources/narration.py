"""Narration with every subtitle cue timed from the speech itself.

Synthesised narration: each sentence is cut into cues (words kept whole, numbers and brackets
never split), each cue is synthesised on its own and the pieces are joined with short pauses, so
every cue switch is a real pause in the audio and its time is exact by construction (sample
counts). Cues measured shorter than CUE_MIN_S are merged with a neighbour; longer than CUE_MAX_S
are cut again and re-synthesised.

Supplied narration (the user's own recording): the cues are placed on the FunASR transcript's
character timestamps, and each switch sits in the middle of the gap between the last character of
one cue and the first of the next.

Within a cue, word times (for karaoke highlighting) come from the TTS itself where it reports them:
espeak-ng's word events give the sample where each word's sound starts (`batchvideo_media.espeak_words`).
Other engines' word times are shared by estimated speaking time and moved to the quietest 10 ms
nearby, where one word ends and the next begins.
"""

from __future__ import annotations

import array
import difflib
import json
import wave
from dataclasses import dataclass, field
from pathlib import Path

from batchvideo_media.audio import join_wavs, read_pcm16_mono, trim_silence
from batchvideo_media.espeak_words import words_path
from batchvideo_media.normalize import spoken_form
from batchvideo_media.segment import ends_clause, estimate_seconds, words
from batchvideo_media.subtitles import (
    CUE_MAX_S,
    CUE_MIN_S,
    MAX_LINES,
    cue_texts,
    reading_pause_ms,
    subtitle_text,
    wrap,
)
from batchvideo_media.text import join_pieces
from batchvideo_resources.asr import ASRResource
from batchvideo_resources.tts import TTSResource

SENTENCE_PAUSE_MS = 300
CLAUSE_PAUSE_MS = 120  # between cues cut at clause punctuation
WORD_PAUSE_MS = 70  # between cues cut between words: just enough for a clean switch
SWITCH_LEAD_MS = 40  # a cue appears this long before its first sound, within the pause
WORD_SNAP_MS = 120  # how far a word boundary may move to reach the quietest point


@dataclass
class Cue:
    text: str
    parts: list[int] = field(default_factory=list)  # indices into the synthesised pieces


@dataclass
class Narration:
    """The audio manifest's `sentences`: each with its cues, their spoken form and word times."""
    sentences: list[dict]
    duration_ms: int
    provenance: dict = field(default_factory=dict)  # what a model server said served it (`tts.served_by`)
    source: str = ""  # the model that voiced or timed it (the audio manifest's `source`)
    voice: str = ""  # the voice it was asked for, as the TTS backend names it


def synthesize_narration(tts: TTSResource, sentences: list[str], out: Path, work: Path, *, language: str,
                         voice: str, speed: float, limit: int, reference_audio: str | None = None) -> Narration:
    """Speak `sentences` cue by cue into `out`: cut into cues, synthesised, re-cut where a piece
    came out too long, short cues merged, joined with pauses that leave time to read, and timed."""
    texts: list[str] = []  # every synthesised piece
    plan: list[list[Cue]] = []
    for sentence in sentences:
        cues = []
        for chunk in cue_texts(sentence, limit, language, speed):
            cues.append(Cue(chunk, [len(texts)]))
            texts.append(chunk)
        plan.append(cues)
    provenance: dict = {}

    def synthesize(pieces: list[str], folder: str) -> list[Path]:
        return _synthesize(tts, pieces, work / folder, language, voice, speed, reference_audio, provenance)

    paths = synthesize(texts, "round0")
    seconds = [_speech_seconds(p) for p in paths]
    _recut_long_cues(plan, texts, paths, seconds, synthesize, language, limit)
    for cues in plan:
        _merge_short(cues, seconds, limit)

    order = [index for cues in plan for cue in cues for index in cue.parts]
    pauses, tail_ms = _pauses(plan, texts, seconds, language)
    timings = join_wavs([(texts[i], paths[i]) for i in order], out, pause_ms=pauses, tail_ms=tail_ms)
    span = {index: (t.start_ms, t.end_ms) for index, t in zip(order, timings)}
    trimmed = {index: t.trimmed_ms for index, t in zip(order, timings)}
    spoken = [spoken_form(t, language) or t for t in texts]
    samples, rate = read_pcm16_mono(out)
    duration_ms = round(len(samples) * 1000 / rate)
    timed = []
    for cues in plan:
        entries = []
        for k, cue in enumerate(cues):
            start = span[cue.parts[0]][0]
            if k:  # switch inside the pause, just before the cue's sound (engines start speaking at once)
                start = max((span[cues[k - 1].parts[-1]][1] + start) // 2, start - SWITCH_LEAD_MS)
            measured = [_reported_words(texts[i], spoken[i], paths[i], *span[i], trimmed[i], language)
                        for i in cue.parts]
            entries.append((cue.text, start, span[cue.parts[-1]][1], _joined(spoken[i] for i in cue.parts),
                            _cue_words(measured, start) if all(measured) else None))
        timed.append(entries)
    return Narration(_manifest(sentences, timed, samples, rate, duration_ms, language), duration_ms, provenance)


def _recut_long_cues(plan: list[list[Cue]], texts: list[str], paths: list[Path], seconds: list[float],
                     synthesize, language: str, limit: int) -> None:
    """A piece that came out longer than a cue may last is cut again with the measured speaking rate
    and the new pieces synthesised; `plan`, `texts`, `paths` and `seconds` grow in place."""
    long = [(s, c) for s, cues in enumerate(plan) for c, cue in enumerate(cues) if seconds[cue.parts[0]] > CUE_MAX_S]
    for s, c in reversed(long):
        cue = plan[s][c]
        measured = seconds[cue.parts[0]]
        measured_speed = estimate_seconds(cue.text, language) / max(0.1, measured)
        chunks = cue_texts(cue.text, limit, language, measured_speed)
        if len(chunks) < 2:
            continue
        new = list(range(len(texts), len(texts) + len(chunks)))
        texts.extend(chunks)
        new_paths = synthesize(chunks, f"round1-{s}-{c}")
        paths.extend(new_paths)
        seconds.extend(_speech_seconds(p) for p in new_paths)
        plan[s][c:c + 1] = [Cue(chunk, [index]) for chunk, index in zip(chunks, new)]


def _pauses(plan: list[list[Cue]], texts: list[str], seconds: list[float], language: str) -> tuple[list[int], int]:
    """The pause after every piece but the last (word, clause or sentence length), and the silence
    after the last; a cue that takes longer to read than to say gets a longer pause after it
    (reading_pause_ms)."""
    pauses, tail_ms = [], 100
    for cues_index, cues in enumerate(plan):
        flat = [index for cue in cues for index in cue.parts]
        ending = {cue.parts[-1]: cue for cue in cues}

        def pause_after(index: int, base_ms: int, lead_ms: int = 0) -> int:
            cue = ending.get(index)
            return base_ms if cue is None else reading_pause_ms(
                cue.text, sum(seconds[p] for p in cue.parts), language, base_ms, lead_ms=lead_ms)

        for a in flat[:-1]:  # the next cue of the sentence shows SWITCH_LEAD_MS before its sound
            pauses.append(pause_after(a, CLAUSE_PAUSE_MS if ends_clause(texts[a]) else WORD_PAUSE_MS,
                                      SWITCH_LEAD_MS))
        if cues_index < len(plan) - 1:
            pauses.append(pause_after(flat[-1], SENTENCE_PAUSE_MS))
        else:  # the last cue may need silence after it too
            tail_ms = pause_after(flat[-1], 100)
    return pauses, tail_ms


def _reported_words(display: str, spoken: str, piece: Path, start_ms: int, end_ms: int, trimmed_ms: float,
                    language: str) -> list[dict] | None:
    """The piece's words placed where the TTS said each one starts (None when it said nothing).

    The engine reports positions in the text it spoke (the spoken form: "35,000" → "thirty five
    thousand"); each displayed word is mapped to the spoken text by alignment and takes the time of
    the reported word it starts. A word the engine ran into the one before ("for a" as one word) is
    placed between its neighbours by speaking time."""
    reported = words_path(piece)
    if not reported.exists():
        return None
    events = sorted(json.loads(reported.read_text()))
    pieces = _word_pieces(display)
    if not events or not pieces:
        return None
    with wave.open(str(piece)) as wav:  # the reported samples count at the piece's own rate
        rate = wav.getframerate()
    opcodes = difflib.SequenceMatcher(None, subtitle_text(display), spoken, autojunk=False).get_opcodes()
    starts: list[float | None] = []
    last_char = -1
    for _, offset in pieces:
        at = next((j1 + (offset - i1 if tag == "equal" else 0) for tag, i1, i2, j1, _ in opcodes
                   if i1 <= offset < i2), len(spoken))
        char, sample = max(((c, smp) for c, smp in events if c <= at), default=events[0])
        starts.append(start_ms + sample * 1000 / rate - trimmed_ms if char > last_char else None)
        last_char = max(last_char, char)
    if sum(t is not None for t in starts[1:]) * 2 < len(starts) - 1:
        return None  # the shown and spoken texts barely align (kanji shown, kana spoken): estimate instead
    starts[0] = start_ms
    weights = [max(0.05, estimate_seconds(text, language)) for text, _ in pieces]
    k = 0
    while k < len(starts):  # fill each run of unplaced words between the placed ones around it
        if starts[k] is not None:
            k += 1
            continue
        run_end = next((j for j in range(k, len(starts)) if starts[j] is not None), len(starts))
        low, high = starts[k - 1], starts[run_end] if run_end < len(starts) else end_ms
        share = sum(weights[k - 1:run_end])
        for j in range(k, run_end):
            starts[j] = low + (high - low) * sum(weights[k - 1:j]) / share
        k = run_end
    placed = [round(min(max(t, start_ms), end_ms - 1)) for t in starts]
    if any(b <= a for a, b in zip(placed, placed[1:])):
        return None  # crowded beyond telling apart: the estimate shares the cue instead
    return [{"text": text, "start_ms": a, "end_ms": b}
            for (text, _), a, b in zip(pieces, placed, placed[1:] + [end_ms])]


def _cue_words(parts: list[list[dict]], cue_start_ms: int) -> list[dict]:
    """A cue's words over its pieces; the first shows from the cue's switch."""
    words = [dict(word) for part in parts for word in part]
    words[0]["start_ms"] = cue_start_ms
    return words


def time_supplied_narration(asr: ASRResource, audio: Path, sentences: list[str], duration_ms: int, *,
                            language: str, limit: int) -> Narration:
    """Cue timings for the user's own recording, from the ASR transcript (or shared by length)."""
    plan = [cue_texts(sentence, limit, language) for sentence in sentences]
    flat = [chunk for chunks in plan for chunk in chunks]
    spans = asr.timings(audio, flat, duration_ms, language=language)
    # Switch inside the silence between one cue's last sound and the next one's first, as for TTS.
    starts, ends = [t.start_ms for t in spans], [t.end_ms for t in spans]
    for k in range(1, len(spans)):
        if starts[k] > ends[k - 1]:
            starts[k] = max((ends[k - 1] + starts[k]) // 2, starts[k] - SWITCH_LEAD_MS)
    timed, k = [], 0
    for chunks in plan:
        timed.append([(chunk, starts[k + j], ends[k + j], spoken_form(chunk, language) or chunk, None)
                      for j, chunk in enumerate(chunks)])
        k += len(chunks)
    samples, rate = read_pcm16_mono(audio)
    return Narration(_manifest(sentences, timed, samples, rate, duration_ms, language), duration_ms)


def _joined(pieces) -> str:
    text = ""
    for piece in pieces:
        text = join_pieces(text, piece) if text else piece
    return text


def _synthesize(tts: TTSResource, texts: list[str], folder: Path, language: str, voice: str, speed: float,
                reference_audio: str | None, provenance: dict) -> list[Path]:
    """`provenance` gathers what served every round; its seconds add up (re-cut pieces included)."""
    spoken = [spoken_form(t, language) or t for t in texts]
    served: dict = {}
    paths = tts.synthesize_many(spoken, folder, language=language, voice=voice, speed=speed,
                                reference_audio=reference_audio, provenance=served)
    seconds = provenance.get("tts_audio_seconds", 0) + served.pop("tts_audio_seconds", 0)
    provenance.update(served)
    if seconds:
        provenance["tts_audio_seconds"] = round(seconds, 3)
    return paths


def _speech_seconds(path: Path) -> float:
    samples, rate = read_pcm16_mono(path)
    return len(trim_silence(samples, rate)) / rate


def _merge_short(cues: list[Cue], seconds: list[float], limit: int) -> None:
    """Merge a cue spoken in under CUE_MIN_S into the shorter neighbour its text fits with."""
    def length(cue: Cue) -> float:
        return sum(seconds[i] for i in cue.parts)

    k = 0
    while k < len(cues):
        if length(cues[k]) >= CUE_MIN_S or len(cues) == 1:
            k += 1
            continue
        options = []
        for other in (k - 1, k + 1):
            if 0 <= other < len(cues):
                first, second = sorted((k, other))
                text = join_pieces(cues[first].text, cues[second].text)
                if len(wrap(text, limit)) <= MAX_LINES and length(cues[k]) + length(cues[other]) <= CUE_MAX_S:
                    options.append((length(cues[other]), first, second, text))
        if not options:
            k += 1
            continue
        _, first, second, text = min(options)
        cues[first:second + 1] = [Cue(text, cues[first].parts + cues[second].parts)]
        k = first


def _manifest(sentences: list[str], timed: list[list[tuple[str, int, int, str, list[dict] | None]]],
              samples: array.array, rate: int, duration_ms: int, language: str) -> list[dict]:
    """Sentences with cues; a cue stays up until the next cue of its sentence starts, and a short last
    cue stays up to CUE_MIN_S when the pause after it allows. Word times: the TTS's where it reported
    them, else estimated."""
    out = []
    for s, (sentence, cues) in enumerate(zip(sentences, timed)):
        next_start = timed[s + 1][0][1] if s + 1 < len(timed) and timed[s + 1] else duration_ms
        entries = []
        for c, (text, start, end, spoken, reported) in enumerate(cues):
            shown_until = cues[c + 1][1] if c + 1 < len(cues) else max(end, min(start + round(CUE_MIN_S * 1000),
                                                                                    next_start))
            entries.append({"text": text, "spoken": spoken, "start_ms": start, "end_ms": shown_until,
                            "words": reported or word_timings(text, start, end, samples, rate, language)})
        out.append({"text": sentence, "start_ms": cues[0][1], "end_ms": cues[-1][2], "cues": entries})
    return out


def word_timings(text: str, start_ms: int, end_ms: int, samples: array.array, rate: int,
                 language: str) -> list[dict]:
    """Each word of a cue with its start: shared by estimated speaking time, then moved to the
    quietest 10 ms within WORD_SNAP_MS (the gap between two words)."""
    pieces = [piece for piece, _ in _word_pieces(text)]
    weights = [max(0.05, estimate_seconds(p, language)) for p in pieces]
    total, acc, starts = sum(weights), 0.0, []
    for weight in weights:
        starts.append(start_ms + (end_ms - start_ms) * acc / total)
        acc += weight
    snapped = [start_ms]
    for k in range(1, len(starts)):
        low = max(snapped[-1] + 40, starts[k] - WORD_SNAP_MS)
        high = min(end_ms - 40, starts[k] + WORD_SNAP_MS)
        snapped.append(_quietest(samples, rate, low, high) if high > low else round(starts[k]))
    ends = snapped[1:] + [end_ms]
    return [{"text": p, "start_ms": int(a), "end_ms": int(b)} for p, a, b in zip(pieces, snapped, ends)]


def _word_pieces(text: str) -> list[tuple[str, int]]:
    """The highlighted words of a cue's text and where each starts in `subtitle_text(text)`;
    punctuation rides with the word before it."""
    pieces: list[list] = []
    at = 0
    for piece in words(subtitle_text(text)):
        offset, at = at, at + len(piece)
        if piece.isspace():
            continue
        if pieces and not any(ch.isalnum() for ch in piece):
            pieces[-1][0] += piece
        else:
            pieces.append([piece, offset])
    return [(piece, offset) for piece, offset in pieces]


def _quietest(samples: array.array, rate: int, low_ms: float, high_ms: float, frame_ms: int = 10) -> int:
    frame = max(1, rate * frame_ms // 1000)
    best, best_at = None, round(low_ms)
    t = low_ms
    while t + frame_ms <= high_ms:
        i = int(t * rate / 1000)
        window = samples[i:i + frame]
        energy = sum(v * v for v in window) / max(1, len(window))
        if best is None or energy < best:
            best, best_at = energy, round(t + frame_ms / 2)
        t += frame_ms / 2
    return best_at
