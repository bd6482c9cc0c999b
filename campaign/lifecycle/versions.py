"""A letter's versions in the open: every text it has had in a language, and what changed each time.

Versions are the rows ``letters load`` keeps (``LetterText``): a changed file adds one and retires
the one before, so the history of a language is its rows in the order they were first loaded. Each
version is compared with the one before it word by word, on the text a reader reads (the Markdown
rendered to plain blocks), so a change of formatting alone shows no changed word and says so.

A translation is **out of date** when its original got a newer text after the translation's own
was loaded, until the translation's file changes too. ``letters load`` loads the original before
its translations, so a translation changed in the same run as its original is newer than it.
(A file changed back to an earlier text makes that earlier row current again; the history lists
each text once, at its first loading.)
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select

from .. import letters
from ..extensions import db
from ..models import LetterText

SegmentKind = Literal["same", "added", "removed"]
SAME: Literal["same"] = "same"
ADDED: Literal["added"] = "added"
REMOVED: Literal["removed"] = "removed"
#: How many hex digits of a version's hash name its place on the page (``#v-<12 digits>``).
ANCHOR_DIGITS = 12
#: Stands between two blocks in the sequence of words compared; never a word of a text.
_BREAK = "\x00"
#: Punctuation that sits against a word, in the languages offered (Latin and Arabic).
_PUNCTUATION = "\"'“”‘’«»„‹›()\\[\\]{}.,;:!?¿¡…—–\\-/*،؛؟"
_PUNCTUATED = re.compile(f"([{_PUNCTUATION}]*)(.*?)([{_PUNCTUATION}]*)", re.DOTALL)


@dataclass(frozen=True)
class Segment:
    """A run of words that is the same in both versions, added by the newer or removed from the older."""

    kind: SegmentKind
    text: str
    #: A space follows the run (outside it: an underline or a strike stops at the last word).
    space_after: bool = False


@dataclass(frozen=True)
class Diff:
    """What changed between two versions: the title's words, and the body's paragraph by paragraph
    (a paragraph added or removed is there whole, as one added or removed run)."""

    title: tuple[Segment, ...]
    body: tuple[tuple[Segment, ...], ...]

    @property
    def title_changed(self) -> bool:
        return any(segment.kind != SAME for segment in self.title)

    @property
    def changed_paragraphs(self) -> tuple[tuple[Segment, ...], ...]:
        """The body's paragraphs with a word added or removed: the page leaves out the others."""
        return tuple(paragraph for paragraph in self.body if any(segment.kind != SAME for segment in paragraph))

    @property
    def words_changed(self) -> bool:
        return self.title_changed or bool(self.changed_paragraphs)


@dataclass(frozen=True)
class Version:
    """One text of a letter in one language, as the public history shows it (plain values)."""

    version: str
    loaded_at: dt.datetime
    title: str
    current: bool
    #: The change from the version before; ``None`` for the first: the original publication.
    diff: Diff | None
    first: bool = False

    @property
    def anchor(self) -> str:
        return anchor(self.version)


@dataclass(frozen=True)
class TextStatus:
    """What a letter page says of the text it shows: when it was last updated (``None``: never since
    its publication), and whether it is a translation whose original changed after it."""

    version: str
    updated_at: dt.datetime | None
    out_of_date: bool
    original_language: str
    original_version: str

    @property
    def anchor(self) -> str:
        return anchor(self.version)

    @property
    def original_anchor(self) -> str:
        return anchor(self.original_version)


def anchor(version: str) -> str:
    """The id of a version on its history page: links from the letter page and from emails use it."""
    return f"v-{version[:ANCHOR_DIGITS]}"


def _texts(letter_id: int, language: str) -> list[LetterText]:
    return list(db.session.scalars(
        select(LetterText).where(LetterText.letter_id == letter_id, LetterText.language == language)
        .order_by(LetterText.id)
    ))


def history(letter_id: int, language: str, *, compared: bool = True) -> list[Version]:
    """Every version of a letter in ``language``, newest first, each with its change from the one
    before (``compared=False``: without, for lists that show none). Empty when the letter has no
    text in that language."""
    texts = _texts(letter_id, language)
    versions = []
    for index, text in enumerate(texts):
        before = texts[index - 1] if index else None
        change = compare(before.title, before.body, text.title, text.body) if before and compared else None
        versions.append(Version(text.version, text.loaded_at, text.title, text.current, change, before is None))
    return versions[::-1]


def status(letter_id: int, language: str, original_language: str) -> TextStatus | None:
    """The shown text's updates, and whether it is a translation the original left behind; ``None``
    when the letter has no current text in ``language``."""
    current = {text.language: text for text in db.session.scalars(
        select(LetterText).where(LetterText.letter_id == letter_id, LetterText.current.is_(True),
                                 LetterText.language.in_([language, original_language])))}
    shown, original = current.get(language), current.get(original_language)
    if shown is None or original is None:
        return None
    first_ids: dict[str, int] = dict(db.session.execute(
        select(LetterText.language, func.min(LetterText.id))
        .where(LetterText.letter_id == letter_id, LetterText.language.in_([language, original_language]))
        .group_by(LetterText.language)
    ).all())
    updated_at = shown.loaded_at if shown.id != first_ids[language] else None
    original_changed = original.id != first_ids[original_language]
    out_of_date = language != original_language and original_changed and original.id > shown.id
    return TextStatus(shown.version, updated_at, out_of_date, original_language, original.version)


def compare(old_title: str, old_body: str, new_title: str, new_body: str) -> Diff:
    """The word-level change from one text to another (title and body)."""
    title = _paragraphs(_segments([old_title], [new_title]))
    return Diff(title[0] if title else (), tuple(_body(letters.text_blocks(old_body), letters.text_blocks(new_body))))


def _body(old: list[str], new: list[str]) -> list[tuple[Segment, ...]]:
    """Paragraphs first, then words: a paragraph added or removed is one run, whole, and words are
    compared only within the paragraphs that changed (a full stop never pairs across paragraphs)."""
    paragraphs: list[tuple[Segment, ...]] = []
    for operation, old_start, old_end, new_start, new_end in difflib.SequenceMatcher(
            None, old, new, autojunk=False).get_opcodes():
        if operation == "equal":
            paragraphs.extend((Segment(SAME, block),) for block in new[new_start:new_end])
        elif operation == "delete":
            paragraphs.extend((Segment(REMOVED, block),) for block in old[old_start:old_end])
        elif operation == "insert":
            paragraphs.extend((Segment(ADDED, block),) for block in new[new_start:new_end])
        else:
            paragraphs.extend(_paragraphs(_segments(old[old_start:old_end], new[new_start:new_end])))
    return paragraphs


def _tokens(blocks: list[str]) -> list[str]:
    """Words, and the punctuation around them apart (``ban,`` → ``ban`` ``,``), each with the space
    that follows it in the text, so a changed word does not take its comma with it."""
    tokens: list[str] = []
    for block in blocks:
        tokens.append(_BREAK)
        for word in block.split():
            lead, core, trail = _PUNCTUATED.fullmatch(word).groups()  # type: ignore[union-attr]  # always matches
            parts = [*lead, core, *trail] if core else [*lead, *trail]
            tokens.extend(parts[:-1])
            tokens.append(parts[-1] + " ")
    return tokens


def _segments(old_blocks: list[str], new_blocks: list[str]) -> list[tuple[SegmentKind, str]]:
    """(kind, token) in reading order; a removed run comes before the run that replaces it."""
    old, new = _tokens(old_blocks), _tokens(new_blocks)
    matcher = difflib.SequenceMatcher(None, [token.strip() for token in old], [token.strip() for token in new],
                                      autojunk=False)
    tagged: list[tuple[SegmentKind, str]] = []
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            tagged.extend((SAME, token) for token in new[new_start:new_end])
            continue
        tagged.extend((REMOVED, token) for token in old[old_start:old_end])
        tagged.extend((ADDED, token) for token in new[new_start:new_end])
    return tagged


def _paragraphs(tagged: list[tuple[SegmentKind, str]]) -> list[tuple[Segment, ...]]:
    """Every block boundary of either version starts a paragraph; runs of one kind join."""
    paragraphs: list[list[Segment]] = []
    for kind, token in tagged:
        if token == _BREAK:
            paragraphs.append([])
        elif paragraphs[-1] and paragraphs[-1][-1].kind == kind:
            paragraphs[-1][-1] = Segment(kind, paragraphs[-1][-1].text + token)
        else:
            paragraphs[-1].append(Segment(kind, token))
    return [tuple(_spaced(paragraph)) for paragraph in paragraphs if paragraph]


def _spaced(paragraph: list[Segment]) -> list[Segment]:
    """Each run without the space that follows it, which goes between runs (none after the last)."""
    runs = [Segment(run.kind, run.text.rstrip(), run.text.endswith(" ")) for run in paragraph]
    runs[-1] = Segment(runs[-1].kind, runs[-1].text)
    return runs
