"""Setting short texts in any of our languages on an image with Pillow, as the share cards need.

Pillow lays out one string in one font, through libraqm (HarfBuzz shapes each word, FriBiDi orders
the runs): Arabic letters take their joined forms and run right to left. No single font of Debian's
Noto set covers every script: Noto Sans Arabic has no Latin letters and no ``+``, Noto Sans no
Arabic. So a line is cut into runs, each in the first font of the text's script family that has
its characters (a character stays in the font of the run it continues where that font has it:
spaces, digits and punctuation do not split a run). Each run is set by libraqm in the line's
direction, and the runs follow each other in that direction: right to left on an Arabic line.
This is the bidirectional algorithm at the level of runs; inside a run libraqm applies it fully.

Fonts come from Debian's packages (``fonts-noto-core``, ``fonts-noto-cjk``), never the network.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.core import get_global
from fontTools.ttLib import TTCollection, TTFont
from PIL import ImageDraw, ImageFont, features

FONT_FOLDERS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))
#: The file of each script family in each style; a CJK collection holds one font per region.
FONT_FILES = {
    "serif": {"latin": "NotoSerif-Bold.ttf", "arabic": "NotoNaskhArabic-Bold.ttf", "cjk": "NotoSerifCJK-Bold.ttc"},
    "sans-bold": {"latin": "NotoSans-Bold.ttf", "arabic": "NotoSansArabic-Bold.ttf", "cjk": "NotoSansCJK-Bold.ttc"},
}
#: Unicode scripts (as CLDR names a language's usual script) drawn with the Arabic or the CJK fonts.
ARABIC_SCRIPTS = {"Arab"}
CJK_REGIONS = {"Jpan": "JP", "Kore": "KR", "Hans": "SC", "Hant": "TC"}
#: Characters that never start a run of their own: spaces, marks, joiners and other format characters.
_FOLLOWERS = {"Zs", "Mn", "Me", "Cf"}
ELLIPSIS = "…"
#: FreeType faces are not safe to use from two threads at once; cards are drawn rarely, one at a time.
drawing_lock = threading.Lock()


class LayoutUnavailable(RuntimeError):
    """Pillow was built without libraqm (or FriBiDi is missing): Arabic would come out unjoined."""


@dataclass(frozen=True)
class Face:
    """One font file (and its index in a collection) at one size."""

    path: Path
    index: int
    size: int

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        return _font(self.path, self.index, self.size)

    def covers(self, character: str) -> bool:
        return ord(character) in _coverage(self.path, self.index)


@dataclass(frozen=True)
class Run:
    text: str
    face: Face
    width: float


@dataclass(frozen=True)
class Line:
    runs: tuple[Run, ...]

    @property
    def width(self) -> float:
        return sum(run.width for run in self.runs)


@dataclass(frozen=True)
class Style:
    """How a block of text is set: its fonts, its language and its direction."""

    family: str  # a key of FONT_FILES
    language: str  # BCP 47 tag, for libraqm (and the script family)
    direction: str  # "ltr" or "rtl"

    def faces(self, size: int) -> tuple[Face, ...]:
        """The fonts to try, in order: the language's script family first, then the others."""
        files = FONT_FILES[self.family]
        script = script_family(self.language)
        order = [script] + [name for name in ("latin", "arabic", "cjk") if name != script]
        return tuple(Face(_font_path(files[name]), _collection_index(files[name], self.language), size)
                     for name in order)


def require_layout() -> None:
    if not features.check("raqm"):
        raise LayoutUnavailable("Pillow has no libraqm: install Debian's libraqm0 (and libfribidi0), see README.")


def script_family(language: str) -> str:
    """"latin", "arabic" or "cjk": the fonts a language (BCP 47 or a catalogue code) is set in."""
    likely = get_global("likely_subtags").get(language.replace("-", "_").split("_")[0], "")
    script = next((part for part in likely.split("_")[1:] if len(part) == 4), "Latn")
    return "arabic" if script in ARABIC_SCRIPTS else "cjk" if script in CJK_REGIONS else "latin"


def _font_path(name: str) -> Path:
    for folder in FONT_FOLDERS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{name}: install Debian's fonts-noto-core and fonts-noto-cjk")


def _collection_index(name: str, language: str) -> int:
    """In a CJK collection, the font for the language's region (Simplified Chinese by default)."""
    if not name.endswith(".ttc"):
        return 0
    likely = get_global("likely_subtags").get(language.replace("-", "_").split("_")[0], "")
    region = next((CJK_REGIONS[part] for part in likely.split("_")[1:] if part in CJK_REGIONS), "SC")
    return _collection_regions(_font_path(name)).get(region, 0)


@lru_cache(maxsize=8)
def _collection_regions(path: Path) -> dict[str, int]:
    regions = {}
    for index, font in enumerate(TTCollection(str(path), lazy=True).fonts):
        family = str(font["name"].getDebugName(1) or "")
        regions[family.rsplit(" ", 1)[-1]] = index
    return regions


@lru_cache(maxsize=16)
def _coverage(path: Path, index: int) -> frozenset[int]:
    return frozenset(TTFont(str(path), fontNumber=index, lazy=True).getBestCmap())


@lru_cache(maxsize=64)
def _font(path: Path, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size, index=index, layout_engine=ImageFont.Layout.RAQM)


def runs_of(text: str, style: Style, size: int) -> tuple[Run, ...]:
    """``text`` cut into runs of one font each, in logical order, each measured in the line's direction."""
    faces = style.faces(size)
    pieces: list[tuple[Face, list[str]]] = []
    for character in text:
        current = pieces[-1][0] if pieces else None
        if current is not None and (current.covers(character) or unicodedata.category(character) in _FOLLOWERS):
            pieces[-1][1].append(character)
            continue
        face = next((face for face in faces if face.covers(character)), faces[0])
        if current == face:
            pieces[-1][1].append(character)
        else:
            pieces.append((face, [character]))
    runs = []
    for face, characters in pieces:
        run_text = "".join(characters)
        runs.append(Run(run_text, face, face.font.getlength(run_text, direction=style.direction, language=style.language)))
    return tuple(runs)


def _pieces_of_word(word: str, style: Style, size: int, width: float) -> list[str]:
    """A word wider than the line (a long compound, or CJK, written without spaces) cut between
    characters, never between a character and its marks."""
    pieces = [""]
    for character in word:
        candidate = pieces[-1] + character
        if pieces[-1] and unicodedata.category(character) not in _FOLLOWERS \
                and Line(runs_of(candidate, style, size)).width > width:
            pieces.append(character)
        else:
            pieces[-1] = candidate
    return pieces


def wrap(text: str, style: Style, size: int, width: float) -> list[str]:
    """The lines of ``text`` (in logical order) at most ``width`` pixels wide, broken at spaces, and
    inside a word only where the word alone is wider."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if Line(runs_of(candidate, style, size)).width <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        if Line(runs_of(word, style, size)).width > width:
            *whole, current = _pieces_of_word(word, style, size, width)
            lines += whole
    if current:
        lines.append(current)
    return lines


def shorten(text: str, style: Style, size: int, width: float) -> str:
    """``text`` cut at its end (in reading order) and marked with an ellipsis, to fit ``width``."""
    text = text.rstrip()
    while text and Line(runs_of(text + ELLIPSIS, style, size)).width > width:
        text = text[:-1].rstrip()
    return text + ELLIPSIS


@dataclass(frozen=True)
class Block:
    """Text set to fit a box: its lines, their size and the distance between baselines."""

    lines: tuple[Line, ...]
    size: int
    leading: int

    @property
    def height(self) -> int:
        return len(self.lines) * self.leading


def fit(text: str, style: Style, width: float, height: float, sizes: Iterable[int], leading: float) -> Block:
    """``text`` at the largest of ``sizes`` at which it fits the box; at the smallest, the lines
    that fit, the last one shortened with an ellipsis."""
    size = 0
    lines: list[str] = []
    for size in sizes:
        lines = wrap(text, style, size, width)
        if len(lines) * round(size * leading) <= height:
            break
    else:
        room = max(1, int(height // round(size * leading)))
        if len(lines) > room:
            lines = lines[:room - 1] + [shorten(" ".join(lines[room - 1:]), style, size, width)]
    return Block(tuple(Line(runs_of(line, style, size)) for line in lines), size, round(size * leading))


def draw_line(draw: ImageDraw.ImageDraw, line: Line, style: Style, start: float, end: float, baseline: float,
              fill: str) -> None:
    """Draw ``line`` on ``baseline`` between ``start`` and ``end`` (x, left to right): from the left
    edge on a left-to-right line, against the right edge on a right-to-left one, each run after
    the other in the line's direction."""
    x = start if style.direction == "ltr" else end - line.width
    runs = line.runs if style.direction == "ltr" else tuple(reversed(line.runs))
    for run in runs:
        draw.text((x, baseline), run.text, font=run.face.font, fill=fill, anchor="ls", direction=style.direction,
                  language=style.language)
        x += run.width
