"""Pillow drawing: the labelled placeholder renderer, cover title, sample logo."""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from batchvideo_media.process import run_bounded, time_limit
from batchvideo_media.subtitles import wrap

DEFAULT_FONT = "Noto Sans CJK SC"
PLACEHOLDER_LABEL = "PLACEHOLDER IMAGE — no image model configured"


def _fontconfig(cmd: list[str]) -> tuple[int, str, str]:
    """A fontconfig query (bounded like every child process): exit status, stdout, log."""
    code, out, log = run_bounded(cmd, what=cmd[0], timeout=time_limit(), capture_stdout=True)
    return code, out.decode("utf-8", "replace"), log


@functools.lru_cache(maxsize=32)
def font_path(family: str | None = None, bold: bool = False) -> str:
    """Resolve a font family to a file with fontconfig; falls back to the CJK-capable default."""
    pattern = f"{family or DEFAULT_FONT}:{'bold' if bold else 'regular'}"
    for candidate in (pattern, f"{DEFAULT_FONT}:{'bold' if bold else 'regular'}"):
        code, found, _ = _fontconfig(["fc-match", "-f", "%{file}", candidate])
        if code == 0 and found and Path(found).exists():
            return found
    raise FileNotFoundError(f"no font file found for {family!r} (install fonts-noto-cjk)")


@functools.lru_cache(maxsize=64)
def _charset(path: str) -> tuple[tuple[int, int], ...]:
    """Code point ranges a font file covers (fontconfig's view of its cmap)."""
    _, charset, _ = _fontconfig(["fc-query", "--index", "0", "--format", "%{charset}", path])
    ranges = []
    for part in charset.split():
        lo, _, hi = part.partition("-")
        try:
            ranges.append((int(lo, 16), int(hi or lo, 16)))
        except ValueError:
            continue
    return tuple(ranges)


def undrawable(letters: list[str], sample: int = 8) -> list[str]:
    """Those of `letters` no installed font has a glyph for (fontconfig `:charset=`; the subtitle
    renderer falls back to any installed font). The first `sample` letters are asked at once."""
    asked = letters[:sample]
    if not asked:
        return []
    if _any_font_has(" ".join(f"{ord(ch):x}" for ch in asked)):
        return []
    return [ch for ch in asked if not _any_font_has(f"{ord(ch):x}")]


@functools.lru_cache(maxsize=1024)
def _any_font_has(charset: str) -> bool:
    _, listing, _ = _fontconfig(["fc-list", f":charset={charset}", "family"])
    return bool(listing.strip())


def covers(path: str, text: str) -> bool:
    """True when the font file has a glyph for every visible character of `text`."""
    ranges = _charset(path)
    if not ranges:
        return True  # fontconfig could not tell; trust the caller's choice
    for ch in set(text):
        cp = ord(ch)
        if ch.isspace() or cp < 0x20 or 0xFE00 <= cp <= 0xFE0F or cp in (0x200D, 0x200B):
            continue
        if not any(lo <= cp <= hi for lo, hi in ranges):
            return False
    return True


def font_for_text(text: str, family: str | None = None, bold: bool = False) -> str:
    """A font file that can draw all of `text`: the account's font, else the CJK-capable default, else
    the installed font fontconfig matches for the missing letters (Hebrew, Arabic, Thai … have no glyphs
    in the CJK default). Pillow draws with one file and no fallback, so this choice is what keeps a cover
    or watermark free of tofu boxes; the subtitles' libass falls back per glyph by itself."""
    preferred = font_path(family, bold)
    if covers(preferred, text):
        return preferred
    default = font_path(DEFAULT_FONT, bold)
    if covers(default, text):
        return default
    matched = _font_with(_uncovered(default, text), bold)
    return matched if matched and covers(matched, text) else default


def _uncovered(path: str, text: str) -> str:
    """fontconfig charset (hex code points) of the visible letters of `text` that `path` cannot draw."""
    return " ".join(sorted({f"{ord(ch):x}" for ch in text if not ch.isspace() and not covers(path, ch)}))


@functools.lru_cache(maxsize=64)
def _font_with(charset: str, bold: bool) -> str | None:
    code, found, _ = _fontconfig(["fc-match", "-f", "%{file}", f":{'bold' if bold else 'regular'}:charset={charset}"])
    return found if code == 0 and found and Path(found).exists() else None


def drawable(text: str, family: str | None = None) -> str:
    """`text` without the characters no installed font can draw (emoji, private-use, stray control
    characters), so nothing renders as a tofu box. Letters the account's font lacks are kept: libass
    and `font_for_text` fall back to a font that has them."""
    fonts = [font_path(family), font_path(DEFAULT_FONT)]
    kept = []
    for ch in text:
        if ch in "\n\t " or any(covers(f, ch) for f in fonts) or _any_font_has(f"{ord(ch):x}"):
            if ch in "\n\t" or ch.isspace() or ord(ch) >= 0x20:
                kept.append(ch)
    return re.sub(r"[ \t]{2,}", " ", "".join(kept))


def _font(size: int, family: str | None = None, bold: bool = False, text: str = "") -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_for_text(text, family, bold) if text else font_path(family, bold), size)


def safe_margins(width: int, height: int, motion_scale: float = 1.08) -> tuple[int, int]:
    """(x, y) margins that stay in frame whatever the pan does: the pan shows a 1/scale window of the
    picture enlarged by `motion_scale`, so anything closer to an edge may be cropped."""
    frac = 1 - 1 / motion_scale
    return int(width * frac) + 12, int(height * frac) + 12


def _palette(seed: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    h = hashlib.sha256(seed.encode()).digest()
    a = (40 + h[0] % 120, 40 + h[1] % 120, 60 + h[2] % 140)
    b = (20 + h[3] % 90, 30 + h[4] % 110, 40 + h[5] % 120)
    return a, b


def gradient(width: int, height: int, seed: str) -> Image.Image:
    top, bottom = _palette(seed)
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / max(1, height - 1)
        column.putpixel((0, y), tuple(round(top[i] * (1 - t) + bottom[i] * t) for i in range(3)))
    return column.resize((width, height))


def _draw_centered(draw: ImageDraw.ImageDraw, lines: list[str], font, width: int, y: int,
                   fill=(255, 255, 255), stroke=(0, 0, 0)) -> int:
    for line in lines:
        box = draw.textbbox((0, 0), line, font=font, stroke_width=2)
        draw.text(((width - (box[2] - box[0])) / 2, y), line, font=font, fill=fill,
                  stroke_width=2, stroke_fill=stroke)
        y += int((box[3] - box[1]) * 1.35)
    return y


def render_placeholder(out: Path, width: int, height: int, caption: str, seed: str, shot_index: int) -> None:
    """A clearly labelled stand-in for a generated picture: gradient, shot number and a short caption
    (the shot's keywords, never its narration: the subtitles already show that)."""
    img = gradient(width, height, seed)
    draw = ImageDraw.Draw(img)
    size = max(18, min(width, height) // 22)
    # Circles give the motion filters something visible to move.
    for k in range(6):
        h = hashlib.sha256(f"{seed}:{k}".encode()).digest()
        r = min(width, height) // (5 + h[0] % 6)
        cx, cy = h[1] * width // 255, h[2] * height // 255
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(255, 255, 255), width=3)
    # The label sits inside the pan's safe area (never cropped by the motion) and below the band where
    # the logo (top right) and the watermark (top left) go.
    label = f"{PLACEHOLDER_LABEL} · shot {shot_index + 1}"
    mx, my = safe_margins(width, height)
    label_size = max(12, size * 2 // 3)
    label_font = _font(label_size)
    while label_size > 12 and draw.textlength(label, font=label_font) > width - 2 * mx:
        label_size -= 1
        label_font = _font(label_size)
    box = draw.textbbox((mx, my), label, font=label_font)
    draw.rectangle((box[0] - 6, box[1] - 4, box[2] + 6, box[3] + 4), fill=(0, 0, 0))
    draw.text((mx, my), label, font=label_font, fill=(235, 235, 235))
    size = size * 3 // 4
    # One width unit is about half the font size; 70% of the width stays inside any pan crop.
    lines = wrap(caption, max(10, int(width * 0.7 / (size / 2))))[:2]
    _draw_centered(draw, lines, _font(size), width, height // 3, fill=(235, 235, 235))
    img.save(out, format="PNG", compress_level=1)


def render_cover(out: Path, background: Path | None, width: int, height: int, title: str,
                 font_family: str | None = None, seed: str = "") -> None:
    """Cover JPEG: the background picture (or a gradient) with the title in a CJK-capable font."""
    if background and Path(background).exists():
        with Image.open(background) as src:  # fill the frame without distorting (h2v covers are 9:16)
            img = ImageOps.fit(src.convert("RGB"), (width, height), Image.Resampling.LANCZOS)
    else:
        img = gradient(width, height, seed or title)
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rectangle((0, int(height * 0.55), width, height), fill=(0, 0, 0, 140))
    img = Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")
    draw = ImageDraw.Draw(img)
    size = max(24, min(width, height) // 9)
    font_file = font_for_text(title, font_family, bold=True)
    font = ImageFont.truetype(font_file, size)
    per_line = max(8, int(width * 0.9 / (size / 2)))
    lines = wrap(title, per_line)[:3]
    # Shrink until the longest line fits 90% of the width and the block fits the darkened band.
    while lines and size > 20 and (max(draw.textlength(line, font=font) for line in lines) > width * 0.9
                                   or len(lines) * size * 1.35 > height * 0.4):
        size -= 2
        font = ImageFont.truetype(font_file, size)
        lines = wrap(title, max(8, int(width * 0.9 / (size / 2))))[:3]
    _draw_centered(draw, lines, font, width, int(height * 0.6), fill=(255, 230, 90))
    img.save(out, format="JPEG", quality=90)


def render_sample_logo(out: Path, text: str = "BV", size: int = 256) -> None:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((8, 8, size - 8, size - 8), radius=size // 5, fill=(230, 60, 50, 230))
    font = _font(size // 2, bold=True)
    box = draw.textbbox((0, 0), text, font=font)
    draw.text(((size - box[2] + box[0]) / 2 - box[0], (size - box[3] + box[1]) / 2 - box[1]), text,
              font=font, fill=(255, 255, 255, 255))
    img.save(out, format="PNG")
