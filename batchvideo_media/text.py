"""Narration text: normalisation, display width and sentence splitting."""

from __future__ import annotations

import re
import unicodedata

MARKER_RE = re.compile(r"#@#.*?#@#", re.S)
# Sentence-final punctuation (CJK and Latin) and clause punctuation we may also break on.
SENTENCE_END = "。！？!?；;…\n"
CLAUSE_END = "，,、：:"
CLOSERS = "”’」』）)】》\"'"
_LATIN_PERIOD = re.compile(r"(?<=[A-Za-z\)\]\"'’”])\.(?=\s|$)")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "no", "jr", "sr"}
_SPEAKABLE = re.compile(r"[^\W_]", re.UNICODE)


def normalise(text: str) -> str:
    """Drop `#@#…#@#` markers and control/format characters; collapse whitespace per line."""
    text = MARKER_RE.sub(" ", text or "")
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        if ch in "\n\r\t":
            out.append("\n" if ch != "\t" else " ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch != "\u200d":
            continue
        else:
            out.append(ch)
    lines = [re.sub(r"[ \u3000\xa0]+", " ", line).strip() for line in "".join(out).split("\n")]
    return "\n".join(line for line in lines if line)


def char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def is_speakable(text: str) -> bool:
    """True when the text has at least one letter or digit a TTS engine can voice."""
    return bool(_SPEAKABLE.search(text))


def _pieces(text: str, breaks: str) -> list[str]:
    """Split after any char in `breaks` (and after Latin full stops), keeping punctuation and closers."""
    pieces: list[str] = []
    buf = ""
    i = 0
    marked = {m.start() for m in _LATIN_PERIOD.finditer(text) if not _is_abbreviation(text, m.start())}
    while i < len(text):
        ch = text[i]
        buf += ch
        if ch in breaks or i in marked:
            # Keep runs of punctuation and closing quotes with the piece they end.
            while i + 1 < len(text) and (text[i + 1] in breaks or text[i + 1] in CLOSERS):
                i += 1
                buf += text[i]
            pieces.append(buf)
            buf = ""
        i += 1
    if buf:
        pieces.append(buf)
    return [p.strip() for p in pieces if p.strip()]


def _is_abbreviation(text: str, dot: int) -> bool:
    word = re.findall(r"[A-Za-z.]+$", text[:dot])
    return bool(word) and word[0].lower() in _ABBREVIATIONS


def split_sentences(text: str, min_width: int = 15, max_width: int = 120) -> list[str]:
    """Split narration into sentences that are synthesised one by one.

    Breaks on sentence punctuation; sentences wider than `max_width` are broken further at
    clause punctuation. Pieces narrower than `min_width` (CJK char = 2 units) are merged into
    their neighbour so the narration does not stutter. Unspeakable pieces (only emoji or
    punctuation) are folded into a neighbour rather than synthesised alone.
    """
    text = normalise(text)
    pieces: list[str] = []
    for sentence in _pieces(text, SENTENCE_END):
        if text_width(sentence) > max_width:
            pieces.extend(_pieces(sentence, CLAUSE_END))
        else:
            pieces.append(sentence)

    merged: list[str] = []
    for piece in pieces:
        if merged and (text_width(merged[-1]) < min_width or not is_speakable(merged[-1])
                       or not is_speakable(piece)):
            merged[-1] = _join(merged[-1], piece)
        else:
            merged.append(piece)
    if len(merged) > 1 and (text_width(merged[-1]) < min_width or not is_speakable(merged[-1])):
        last = merged.pop()
        merged[-1] = _join(merged[-1], last)
    return merged


def _join(a: str, b: str) -> str:
    if a and b and ord(a[-1]) < 0x2E80 and ord(b[0]) < 0x2E80 and not a[-1].isspace():
        return f"{a} {b}"
    return a + b
