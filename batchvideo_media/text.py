"""Narration text: normalisation, display width and sentence splitting (the spoken form is in the normalize package)."""

from __future__ import annotations

import re
import unicodedata

MARKER_RE = re.compile(r"#@#.*?#@#", re.S)
# Sentence-final punctuation (CJK and Latin) and clause punctuation we may also break on.
SENTENCE_END = "。！？!?；;…\n"
CLAUSE_END = "，,、：:"
CLOSERS = "”’」』）)】》〕〗〙〛｝}]\"'"
# Abbreviations that stand before a name, number or noun, so a full stop after them is never a
# sentence end ("Dr. Smith", "Nr. 5", "Sept. 22", "z. B.") — en, de, fr, es.
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "st", "mt", "vs", "e.g", "i.e", "no", "sr", "u.s", "u.k", "fig",
                  "approx", "dept", "est", "vol", "gen", "col", "lt", "sgt", "capt", "rev", "hon", "ph.d", "cf",
                  "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "ave",
                  "calif", "nr", "ca", "hr", "fr", "frl", "z.b", "d.h", "u.a", "bzw", "mio", "mrd", "str", "sra",
                  "srta", "dra", "ud", "uds", "núm", "pág", "avda", "ee.uu", "mme", "mlle", "av", "bd",
                  "mind", "inkl", "ggf", "evtl", "vgl", "zzgl", "tel", "env", "aprox", "p.ej", "dña", "sres",
                  "gov", "sen", "rep", "pres", "ft", "apt", "tsp", "tbsp", "cda", "cdas", "cdta", "máx", "mín"}
# Abbreviations that also close sentences: a sentence end when a capital letter follows (units too:
# "10 min. until midnight", "3 min. por cada lado", but "… 60 Min. Danach …").
_FINAL_ABBREVIATIONS = {"etc", "usw", "inc", "ltd", "co", "jr", "a.m", "p.m", "al", "corp",
                        "min", "std", "sek", "hrs", "sec", "max", "oz", "lbs", "in"}
# "am 12. Mai", "im 21. Jahrhundert": a German ordinal, not a number ending a sentence.
_ORDINAL_NOUN = re.compile(r"\s+(?:Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|"
                           r"November|Dezember|Jahrhunderts?|Jahrtausends?|Klasse|Stock|Platz|Mal|Tag|Etage)\b")
_SPEAKABLE = re.compile(r"[^\W_]", re.UNICODE)
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
# A Latin full stop ends a sentence when followed (after optional closing quotes) by space or the end.
_LATIN_PERIOD = re.compile(r"(?<=[\w\)\]\"'’”%€$£¥°])\.(?=[\"'’”)\]]*(?:\s|$))")


ZERO_WIDTH_SPACE = "\u200b"
_SPACES = re.compile(r"[ \u3000\xa0\u2000-\u200a\u202f\u205f]+")


def normalise(text: str) -> str:
    """Drop `#@#…#@#` markers and control/format characters (bidi overrides included); collapse
    whitespace per line; a zero-width space is a word break (a space between words of a spaced
    script, nothing beside CJK).

    Full-width digits and letters become ASCII so numbers are read and measured consistently;
    CJK punctuation is kept as written."""
    text = MARKER_RE.sub(" ", text or "")
    text = unicodedata.normalize("NFC", text).translate(_FULLWIDTH_ALNUM)
    lines = [_SPACES.sub(" ", line).strip() for line in _visible(text).split("\n")]
    return "\n".join(line for line in lines if line)


def clean_line(text: str) -> str:
    """One line of display text (titles, cover, watermark): without control and format characters,
    so a right-to-left override cannot reorder what the viewer sees; whitespace collapsed."""
    return _SPACES.sub(" ", _visible(text or "").replace("\n", " ")).strip()


def _visible(text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        if ch in "\n\r\t\u2028\u2029":
            out.append(" " if ch == "\t" else "\n")
        elif ch == ZERO_WIDTH_SPACE:
            before, after = text[i - 1:i], text[i + 1:i + 2]
            out.append("" if (before and is_cjk(before)) or (after and is_cjk(after)) else " ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch != "\u200d":
            continue  # ZWJ is kept: it glues multi-codepoint emoji together
        else:
            out.append(ch)
    return "".join(out)


def char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def is_cjk(ch: str) -> bool:
    return char_width(ch) == 2 and not is_pictograph(ch)


def is_pictograph(ch: str) -> bool:
    """Emoji and other pictographic symbols: no TTS reads them well and subtitle fonts lack them."""
    cp = ord(ch)
    return (0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF
            or cp in (0x200D, 0xFE0F, 0xFE0E, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF
            or 0xE0020 <= cp <= 0xE007F)


def strip_pictographs(text: str) -> str:
    return re.sub(r"[ ]{2,}", " ", "".join(ch for ch in text if not is_pictograph(ch))).strip()


def is_speakable(text: str) -> bool:
    """True when the text has at least one letter or digit a TTS engine can voice."""
    return bool(_SPEAKABLE.search(text))


def _is_abbreviation(text: str, dot: int) -> bool:
    """The full stop at `dot` belongs to an abbreviation or ordinal and does not end the sentence."""
    before, after = text[:dot], text[dot + 1:]
    if before[-1:].isdigit():
        return bool(_ORDINAL_NOUN.match(after))
    word = re.findall(r"[^\W\d_][^\W\d_.]*(?:\.[^\W\d_]+)*$", before)
    if not word or before[:len(before) - len(word[0])][-1:].isdigit():
        return False  # "the 21st." is an ordinal ending the sentence
    token = word[0].lower()
    # a unit after a number or a slash ("90 km/h.", "6 h.") ends the sentence when a capital follows
    unit = len(token) == 1 and re.search(r"(?:\d\s?|/)$", before[:len(before) - 1])
    if token in _FINAL_ABBREVIATIONS or unit:
        return not re.match(r"[\s\"'’”)\]]*[A-ZÀ-Þ]", after) and after.strip() != ""
    # Single initials ("J. K. Rowling", "z. B.") and dotted acronyms ("U.S.") do not end a sentence.
    return (token in _ABBREVIATIONS or len(token) == 1
            or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", token)))


def _pieces(text: str, breaks: str, latin_periods: bool = True) -> list[str]:
    """Split after any char in `breaks` (and after Latin full stops), keeping punctuation and closers."""
    pieces: list[str] = []
    buf = ""
    i = 0
    marked = set()
    if latin_periods:
        marked = {m.start() for m in _LATIN_PERIOD.finditer(text) if not _is_abbreviation(text, m.start())}
        # "Wait... what" — an ASCII ellipsis followed by a space ends the piece like "…" does.
        marked |= {m.end() - 1 for m in re.finditer(r"\.{3,}(?=\s)", text)}
        # A half-width full stop typed inside Chinese text ("你好.我很好") ends a sentence too.
        marked |= {m.start() for m in re.finditer(r"(?<=[\u3400-\u9fff])\.(?=[\u3400-\u9fff“「（])", text)}
    while i < len(text):
        ch = text[i]
        buf += ch
        inside_number = ch in ",.:，：" and text[i - 1:i].isdigit() and text[i + 1:i + 2].isdigit()
        if (ch in breaks and not inside_number) or i in marked:
            # Keep runs of punctuation and closing quotes with the piece they end.
            while i + 1 < len(text) and (text[i + 1] in breaks or text[i + 1] in CLOSERS or text[i + 1] == "."):
                i += 1
                buf += text[i]
            pieces.append(buf)
            buf = ""
        i += 1
    if buf:
        pieces.append(buf)
    # A trailing line break is kept for _glue (a heading line runs into the next sentence).
    return [p.lstrip().rstrip(" ") for p in pieces if p.strip()]


def join_pieces(a: str, b: str) -> str:
    """Concatenate two pieces of narration, with a space only between word-language pieces."""
    return _join(a, b)


def _split_long(piece: str, max_width: int) -> list[str]:
    """Break a piece with no usable punctuation: at spaces for word languages, evenly otherwise."""
    if text_width(piece) <= max_width:
        return [piece]
    words = piece.split(" ")
    if len(words) > 1:
        out, current = [], ""
        for word in words:
            candidate = f"{current} {word}" if current else word
            if current and text_width(candidate) > max_width:
                out.append(current)
                current = word
            else:
                current = candidate
        out.append(current)
        return [chunk for part in out for chunk in _split_long(part, max_width)] if len(out) > 1 else out
    # Unpunctuated CJK runs only get cut well past the limit: every cut adds a pause mid-phrase.
    if text_width(piece) <= 2 * max_width:
        return [piece]
    count = -(-text_width(piece) // max_width)
    size = -(-len(piece) // count)
    return [piece[i:i + size] for i in range(0, len(piece), size)]


def split_sentences(text: str, min_width: int = 15, max_width: int = 120) -> list[str]:
    """Split narration into sentences that are synthesised one by one.

    Breaks on sentence punctuation; sentences wider than `max_width` are broken further at
    clause punctuation, then at spaces. Pieces narrower than `min_width` (CJK char = 2 units)
    are merged into their neighbour so the narration does not stutter. Unspeakable pieces
    (only emoji or punctuation) are folded into a neighbour rather than synthesised alone.
    """
    text = normalise(text)
    pieces: list[str] = []
    for sentence in _pieces(text, SENTENCE_END):
        if text_width(sentence) <= max_width:
            pieces.append(sentence)
            continue
        for clause in _merge_short(_pieces(sentence, CLAUSE_END, latin_periods=False), min_width):
            pieces.extend(_split_long(clause, max_width))
    return [p.strip() for p in _merge_short(pieces, min_width)]


def _merge_short(pieces: list[str], min_width: int) -> list[str]:
    merged: list[str] = []
    for piece in pieces:
        if merged and (text_width(merged[-1]) < min_width or not is_speakable(merged[-1])
                       or not is_speakable(piece)):
            merged[-1] = _glue(merged[-1], piece)
        else:
            merged.append(piece)
    if len(merged) > 1 and (text_width(merged[-1]) < min_width or not is_speakable(merged[-1])):
        last = merged.pop()
        merged[-1] = _glue(merged[-1], last)
    return merged


def _glue(a: str, b: str) -> str:
    """Merge two pieces; a line without final punctuation (a heading) stays apart by a space."""
    core = a.rstrip("\n")
    if core != a and core and core[-1] not in SENTENCE_END + CLAUSE_END + CLOSERS:
        return f"{core} {b}"
    return _join(core, b)


def _join(a: str, b: str) -> str:
    if a and b and not is_cjk(a[-1]) and not is_cjk(b[0]) and not a[-1].isspace():
        return f"{a} {b}"
    return a + b


# Writing systems a language is written in, by its primary subtag (Latin letters are accepted in any
# language: names, brands and English words appear everywhere). A language not listed is not checked.
LANGUAGE_SCRIPTS = {
    **{code: {"CJK"} for code in ("zh", "cmn", "yue", "wuu")},
    "ja": {"CJK", "HIRAGANA", "KATAKANA"}, "ko": {"HANGUL", "CJK"},
    **{code: {"ARABIC"} for code in ("ar", "fa", "ur", "ps")}, "he": {"HEBREW"}, "yi": {"HEBREW"},
    "th": {"THAI"}, "lo": {"LAO"}, "km": {"KHMER"}, "my": {"MYANMAR"},
    **{code: {"CYRILLIC"} for code in ("ru", "uk", "bg", "be", "mk", "kk", "sr", "mn")},
    "el": {"GREEK"}, "hy": {"ARMENIAN"}, "ka": {"GEORGIAN"},
    **{code: {"DEVANAGARI"} for code in ("hi", "mr", "ne")}, "bn": {"BENGALI"}, "ta": {"TAMIL"},
    "te": {"TELUGU"}, "gu": {"GUJARATI"}, "pa": {"GURMUKHI"}, "kn": {"KANNADA"}, "ml": {"MALAYALAM"},
    **{code: set() for code in ("en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "no", "nb", "fi", "pl",
                                "cs", "sk", "sl", "hr", "tr", "vi", "id", "ms", "ro", "hu", "et", "lv", "lt",
                                "ca", "eu", "gl", "sq", "af", "sw", "tl", "fil", "is", "ga", "cy", "eo")},
}
# Marks shared by the CJK languages that Unicode names after one of them.
_SCRIPT_ALIASES = {"IDEOGRAPHIC": "CJK", "KATAKANA-HIRAGANA": "KATAKANA", "HALFWIDTH": "KATAKANA"}


def writing_systems(text: str) -> dict[str, list[str]]:
    """Writing system (the first word of the Unicode name: LATIN, CJK, ARABIC, THAI, …) → the distinct
    letters of `text` in it, in order of appearance."""
    found: dict[str, list[str]] = {}
    for ch in dict.fromkeys(text):
        if not unicodedata.category(ch).startswith("L"):
            continue
        name = unicodedata.name(ch, "")
        if not name:
            continue
        system = name.split()[0]
        found.setdefault(_SCRIPT_ALIASES.get(system, system), []).append(ch)
    return found


def foreign_writing(text: str, language: str) -> tuple[str, list[str]] | None:
    """The writing system of `text` that `language` (a BCP-47 code) is not written in, with its
    letters, or None. A stray letter or two (π, µ) is not enough; a language not in LANGUAGE_SCRIPTS
    is never refused."""
    allowed = LANGUAGE_SCRIPTS.get(language.split("-")[0].lower())
    if allowed is None:
        return None
    systems = writing_systems(text)
    total = sum(text.count(ch) for letters in systems.values() for ch in letters)
    for system, letters in systems.items():
        if system in allowed or system == "LATIN":
            continue
        count = sum(text.count(ch) for ch in letters)
        if count >= 3 and count >= 0.05 * total:
            return system, letters
    return None
