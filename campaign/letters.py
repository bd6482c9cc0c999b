"""Letters as data: reading letter folders, loading them into the database, rendering their texts.

A letter is a folder ``LETTERS_DIR/<slug>/`` holding one Markdown file per language,
``<language>.md``, each with YAML front matter. The original carries the letter's metadata
(``published``, ``contact``, ``drafted_by``, and optionally ``closes_at`` and ``goal``, see
``file_settings``); translations carry ``translated_from`` and their
own ``title``. Adding a letter is adding a folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select

from .extensions import db
from .models import Letter, LetterText, Signature, SignatureKind, SignatureStatus, utcnow
from .publication import counts
from .signing import rows
from .signing.fields import SignatureDetails
from .text import search_key
from .web import caches
from .web.parameters import SLUG_MAX_LENGTH, SLUG_PATTERN

FRONT_MATTER_FENCE = "---"


class LetterFileError(ValueError):
    """A letter file or folder is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class LetterFile:
    path: Path
    slug: str
    language: str
    title: str
    body: str
    translated_from: str | None = None
    published: dt.date | None = None
    contact: str | None = None
    drafted_by: tuple[str, ...] = ()
    closes_at: dt.datetime | None = None
    goal: int | None = None

    @property
    def version(self) -> str:
        return text_version(self.title, self.body)


@dataclass
class LoadReport:
    letters_created: list[str] = field(default_factory=list)
    texts_added: list[tuple[str, str, str]] = field(default_factory=list)
    texts_unchanged: int = 0
    #: For each (slug, language) whose text this load replaced: the version that was current until
    #: then (its signers are told of the change), which need not be the one loaded last before.
    replaced: dict[tuple[str, str], str] = field(default_factory=dict)


def text_version(title: str, body: str) -> str:
    """The content hash that identifies one exact text of a letter."""
    canonical = unicodedata.normalize("NFC", f"{title.strip()}\n\n{body.strip()}\n")
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_letter_file(path: Path) -> LetterFile:
    raw = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    if not raw.startswith(FRONT_MATTER_FENCE + "\n"):
        raise LetterFileError(f"{path}: the file must start with YAML front matter between '---' lines.")
    try:
        header, body = raw[len(FRONT_MATTER_FENCE) + 1 :].split("\n" + FRONT_MATTER_FENCE + "\n", 1)
    except ValueError as error:
        raise LetterFileError(f"{path}: the front matter has no closing '---' line.") from error
    try:
        meta = yaml.safe_load(header) or {}
    except yaml.YAMLError as error:
        raise LetterFileError(f"{path}: the front matter is not valid YAML ({error}).") from error
    if not isinstance(meta, dict):
        raise LetterFileError(f"{path}: the front matter must be a mapping.")

    for key in ("slug", "language", "title"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise LetterFileError(f"{path}: the front matter needs a non-empty '{key}'.")
    if meta["language"] != path.stem:
        raise LetterFileError(f"{path}: 'language: {meta['language']}' does not match the file name.")
    if meta["slug"] != path.parent.name:
        raise LetterFileError(f"{path}: 'slug: {meta['slug']}' does not match the folder name.")
    if not re.fullmatch(SLUG_PATTERN, meta["slug"]) or len(meta["slug"]) > SLUG_MAX_LENGTH:
        raise LetterFileError(
            f"{path}: the slug {meta['slug']!r} must be lower-case letters and digits joined by hyphens "
            f"(at most {SLUG_MAX_LENGTH} characters): it is the letter's address."
        )

    translated_from = meta.get("translated_from")
    published = meta.get("published")
    drafted_by = meta.get("drafted_by") or []
    if translated_from is None:
        if not isinstance(published, dt.date):
            raise LetterFileError(f"{path}: the original needs 'published' as a date (YYYY-MM-DD).")
        if not isinstance(meta.get("contact"), str):
            raise LetterFileError(f"{path}: the original needs a 'contact' address.")
        if not isinstance(drafted_by, list) or not all(isinstance(name, str) for name in drafted_by):
            raise LetterFileError(f"{path}: 'drafted_by' must be a list of names.")
    if not body.strip():
        raise LetterFileError(f"{path}: the letter text is empty.")
    closes_at, goal = file_settings(path, meta) if translated_from is None else (None, None)

    return LetterFile(
        path=path,
        slug=meta["slug"],
        language=meta["language"],
        title=unicodedata.normalize("NFC", meta["title"].strip()),
        body=unicodedata.normalize("NFC", body.strip() + "\n"),
        translated_from=translated_from,
        published=published if translated_from is None else None,
        contact=meta.get("contact") if translated_from is None else None,
        drafted_by=tuple(drafted_by) if translated_from is None else (),
        closes_at=closes_at,
        goal=goal,
    )


def file_settings(path: Path, meta: dict) -> tuple[dt.datetime | None, int | None]:
    """The original's optional ``closes_at`` and ``goal``. ``closes_at`` is a time with its zone
    (``2027-03-08T12:00:00+01:00``) or a date, which closes at the end of that day, UTC."""
    closes_at = meta.get("closes_at")
    if isinstance(closes_at, dt.datetime):
        if closes_at.tzinfo is None:
            raise LetterFileError(f"{path}: 'closes_at' needs its time zone, e.g. 2027-03-08T12:00:00+00:00.")
        closes_at = closes_at.astimezone(dt.timezone.utc)
    elif isinstance(closes_at, dt.date):
        closes_at = dt.datetime.combine(closes_at + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    elif closes_at is not None:
        raise LetterFileError(f"{path}: 'closes_at' must be a date (YYYY-MM-DD) or a time with its zone.")
    goal = meta.get("goal")
    if goal is not None and (type(goal) is not int or goal < 1):
        raise LetterFileError(f"{path}: 'goal' must be a whole number above zero.")
    return closes_at, goal


def read_letter_folder(folder: Path, languages: list[str]) -> list[LetterFile]:
    """Read and cross-check one letter folder: exactly one original, translations of it."""
    files = [parse_letter_file(path) for path in sorted(folder.glob("*.md"))]
    unknown = [f for f in files if f.language not in languages]
    if unknown:
        raise LetterFileError(f"{unknown[0].path}: language '{unknown[0].language}' is not in LANGUAGES.")
    originals = [f for f in files if f.translated_from is None]
    if len(originals) != 1:
        raise LetterFileError(f"{folder}: expected exactly one original (a file without 'translated_from').")
    original = originals[0]
    for translation in files:
        if translation.translated_from not in (None, original.language):
            raise LetterFileError(f"{translation.path}: 'translated_from' must be '{original.language}'.")
    return files


def load_letters(directory: Path, languages: list[str], *, list_drafters: bool = True) -> LoadReport:
    """Bring the database in line with the letter folders. Safe to run any number of times.

    ``list_drafters`` puts the drafting organisations the letter names on its list (always, but in
    tests that want to start from an empty list)."""
    report = LoadReport()
    folders = sorted(path for path in directory.iterdir() if path.is_dir() and any(path.glob("*.md")))
    parsed = {folder.name: read_letter_folder(folder, languages) for folder in folders}

    for slug, files in parsed.items():
        original = next(f for f in files if f.translated_from is None)
        if original.published is None or original.contact is None:  # ``parse_letter_file`` requires both
            raise LetterFileError(f"{original.path}: the original needs 'published' and 'contact'.")
        letter = db.session.scalar(select(Letter).where(Letter.slug == slug))
        if letter is None:
            letter = Letter(slug=slug)
            db.session.add(letter)
            report.letters_created.append(slug)
        letter.original_language = original.language
        letter.published_on = original.published
        letter.contact = original.contact
        letter.drafted_by = list(original.drafted_by)
        _apply_file_settings(letter, original)
        db.session.flush()

        # The original first: a translation loaded in the same run is then newer than the original's
        # text, which is how ``lifecycle.versions`` tells a translation that is out of date.
        for letter_file in sorted(files, key=lambda f: f.translated_from is not None):
            texts = db.session.scalars(
                select(LetterText).where(
                    LetterText.letter_id == letter.id, LetterText.language == letter_file.language
                )
            ).all()
            matching = next((t for t in texts if t.version == letter_file.version), None)
            if matching is not None and matching.current:
                report.texts_unchanged += 1
                continue
            for text in texts:
                if text.current:
                    report.replaced[(slug, letter_file.language)] = text.version
                text.current = False
            if matching is None:
                db.session.add(
                    LetterText(
                        letter_id=letter.id,
                        language=letter_file.language,
                        version=letter_file.version,
                        title=letter_file.title,
                        body=letter_file.body,
                        current=True,
                    )
                )
            else:
                matching.current = True
            report.texts_added.append((slug, letter_file.language, letter_file.version))
        if list_drafters:
            _list_drafters(letter, original)
    db.session.commit()
    return report


def _apply_file_settings(letter: Letter, original: LetterFile) -> None:
    """A closing time or goal the file changed since it was last loaded replaces the letter's; one
    the file did not change leaves what an admin set in the browser."""
    said = {"closes_at": original.closes_at.isoformat() if original.closes_at else None, "goal": original.goal}
    last = letter.file_settings or {}
    if said["closes_at"] != last.get("closes_at"):
        letter.closes_at = original.closes_at
    if said["goal"] != last.get("goal"):
        letter.goal = original.goal
    letter.file_settings = said


#: The country of an entry whose country nobody gave (ISO 3166's code for "unknown").
UNKNOWN_COUNTRY = "ZZ"


def _list_drafters(letter: Letter, original: LetterFile) -> None:
    """The drafting organisations the letter names are its first signatories: each is on the list,
    as a drafting organisation, from the moment the letter is loaded (once; a moderator may then
    correct its details, and loading again adds nothing)."""
    version = text_version(original.title, original.body)
    for name in original.drafted_by:
        key = hashlib.sha256(("drafter:" + search_key(name)).encode("utf-8")).hexdigest()
        if db.session.scalar(select(Signature.id).where(Signature.letter_id == letter.id, Signature.import_key == key)):
            continue
        details = SignatureDetails(kind=SignatureKind.ORGANISATION, name=None, organisation=name, role=None,
                                   country=UNKNOWN_COUNTRY, city=None, website=None, comment=None,
                                   consent_publish=True, consent_updates=False)
        signature = Signature(**rows.signature_row(
            letter.id, details, status=SignatureStatus.PUBLISHED, language=original.language,
            letter_version=version, source="letter:drafted_by", now=utcnow(), is_drafter=True, import_key=key,
        ))
        db.session.add(signature)
        db.session.flush()
        counts.count_published(signature)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


@lru_cache(maxsize=64)
def _render(body: str) -> str:
    return _markdown().render(body)


def render_markdown(body: str) -> Markup:
    """Render letter Markdown to HTML. Raw HTML in the source is escaped, never passed through."""
    return Markup(_render(body))


def text_blocks(body: str) -> list[str]:
    """The words of each block (paragraph, heading, list item, quoted code) as plain text, in order:
    what a reader reads, without the Markdown around it, for comparing two versions word by word."""
    blocks = []
    for token in _markdown().parse(body):
        if token.type == "inline":
            text = "".join(child.content if child.type in ("text", "code_inline") else
                           " " if child.type in ("softbreak", "hardbreak") else "" for child in token.children or [])
        elif token.type in ("fence", "code_block"):
            text = token.content
        else:
            continue
        if text.split():
            blocks.append(" ".join(text.split()))
    return blocks


@lru_cache(maxsize=64)
def plain_summary(body: str, limit: int = 200) -> str:
    """The first paragraph as plain text, for link previews and meta descriptions."""
    tokens = _markdown().parse(body)
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open":
            inline = tokens[index + 1]
            text = "".join(child.content for child in (inline.children or []) if child.type == "text")
            text = " ".join(text.split())
            if len(text) <= limit:
                return text
            return text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return ""


@dataclass(frozen=True)
class LetterInfo:
    """A letter's metadata, copied out of the database: safe to keep between requests."""

    id: int
    slug: str
    original_language: str
    published_on: dt.date
    contact: str
    drafted_by: tuple[str, ...]
    closes_at: dt.datetime | None = None
    goal: int | None = None

    @classmethod
    def of(cls, letter: Letter) -> LetterInfo:
        return cls(letter.id, letter.slug, letter.original_language, letter.published_on, letter.contact,
                   tuple(letter.drafted_by), letter.closes_at, letter.goal)


@dataclass(frozen=True)
class TextInfo:
    language: str
    version: str
    title: str
    body: str


@dataclass(frozen=True)
class LetterView:
    """What a page needs of a letter in one language (plain values, no database objects)."""

    letter: LetterInfo
    text: TextInfo
    is_translation_missing: bool

    @property
    def html(self) -> Markup:
        return render_markdown(self.text.body)

    @property
    def summary(self) -> str:
        return plain_summary(self.text.body)

    @classmethod
    def of(cls, letter: Letter, text: LetterText, is_translation_missing: bool) -> LetterView:
        return cls(LetterInfo.of(letter), TextInfo(text.language, text.version, text.title, text.body),
                   is_translation_missing)


def all_letters() -> list[Letter]:
    return list(db.session.scalars(select(Letter).order_by(Letter.published_on.desc(), Letter.id)))


def featured_letter(slug: str | None) -> Letter | None:
    """The letter shown at ``/<lang>/``: the configured one, else the most recently published."""
    if slug:
        return db.session.scalar(select(Letter).where(Letter.slug == slug))
    return db.session.scalar(select(Letter).order_by(Letter.published_on.desc(), Letter.id).limit(1))


def find_letter(slug: str | None) -> Letter | None:
    """The letter with ``slug``; for ``None``, the featured letter."""
    return letter_by_slug(slug) if slug else featured_letter(current_app.config["FEATURED_LETTER"])


def letter_info(slug: str | None) -> LetterInfo | None:
    """A letter's metadata (``None``: the featured letter's), kept per process like its pages."""
    key = caches.letter_info_key(slug)
    info = caches.get(key)
    if info is None:
        letter = find_letter(slug)
        if letter is None:
            return None
        info = caches.put(key, LetterInfo.of(letter), current_app.config["LETTER_PAGE_CACHE_SECONDS"])
    return info


def cached_view(slug: str | None, language: str) -> LetterView | None:
    """A letter (``None``: the featured one) in ``language``, kept per process like its pages.

    Letter texts change only when files are loaded on a deploy; the objects are read-only here.
    """
    key = caches.letter_view_key(slug, language)
    view = caches.get(key)
    if view is None:
        letter = find_letter(slug)
        view = letter_in_language(letter, language) if letter else None
        if view is not None:
            caches.put(key, view, current_app.config["LETTER_PAGE_CACHE_SECONDS"])
    return view


def letter_by_slug(slug: str) -> Letter | None:
    return db.session.scalar(select(Letter).where(Letter.slug == slug))


def letter_in_language(letter: Letter, language: str) -> LetterView | None:
    """The current text in ``language``, falling back to the original when not translated yet."""
    texts = db.session.scalars(
        select(LetterText).where(
            LetterText.letter_id == letter.id,
            LetterText.current.is_(True),
            LetterText.language.in_([language, letter.original_language]),
        )
    ).all()
    by_language = {text.language: text for text in texts}
    if language in by_language:
        return LetterView.of(letter, by_language[language], is_translation_missing=False)
    if letter.original_language in by_language:
        return LetterView.of(letter, by_language[letter.original_language], is_translation_missing=True)
    return None
