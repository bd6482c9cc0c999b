"""A letter's public timeline: published, goals reached, delivered, answered, closed, reopened.

Events an admin records (a delivery, a response) carry their words in each language they were
written in; the letter's original language is required, and a reader whose language is missing
gets the original with a notice. The letter's publication and a closing time that has passed
are not stored: they follow from the letter, so the timeline derives them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..letters import LetterInfo
from ..models import AdminUser, TimelineEvent, TimelineFile, TimelineKind, TimelineText, utcnow
from ..moderation import audit
from ..web import caches
from .closing import has_closed

PUBLISHED = "published"
SIGNING_KINDS = frozenset({TimelineKind.CLOSED.value, TimelineKind.REOPENED.value})
#: What an admin may put on the timeline, and the kind of file each may carry.
RECORDED_KINDS = {TimelineKind.DELIVERED: "image", TimelineKind.RESPONSE: "pdf"}
PHOTO_MAX_SIDE = 2000
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


class UnusableFile(ValueError):
    """The uploaded file is not what the event may carry (a photo, or a response as a PDF)."""


class MissingOriginal(ValueError):
    """An event's words are required in the letter's original language, the fallback for every reader."""


class UnknownEvent(LookupError):
    """No event an admin recorded has this id on this letter's timeline (removed meanwhile, or automatic)."""


@dataclass(frozen=True)
class FileRef:
    id: int
    sha256: str
    content_type: str

    @property
    def name(self) -> str:
        """The file's address changes with its content, so it may be cached for ever."""
        return f"{self.id}-{self.sha256[:16]}.{EXTENSIONS[self.content_type]}"


@dataclass(frozen=True)
class Words:
    title: str
    summary: str = ""


@dataclass(frozen=True)
class Entry:
    """One event as a reader sees it (plain values, safe to cache with the page)."""

    kind: str
    at: dt.datetime
    anchor: str
    goal: int | None = None
    words: Words | None = None
    words_language: str | None = None
    in_other_language: bool = False
    link: str | None = None
    file: FileRef | None = None
    event_id: int | None = None
    #: The words in every language they were written in (the API gives them all).
    texts: tuple[tuple[str, Words], ...] = ()
    #: When an admin last changed the event (feeds give it as ``updated``); ``None``: never.
    updated: dt.datetime | None = None


def entries(letter: LetterInfo, language: str, now: dt.datetime | None = None) -> list[Entry]:
    """The timeline in ``language``, newest first."""
    events = db.session.scalars(select(TimelineEvent).where(TimelineEvent.letter_id == letter.id).options(
        selectinload(TimelineEvent.texts), selectinload(TimelineEvent.file).defer(TimelineFile.data))).all()
    found = [_entry(event, language, letter.original_language) for event in events]
    if has_closed(letter.closes_at, now) and letter.closes_at is not None \
            and not any(event.kind is TimelineKind.CLOSED and event.occurred_at == letter.closes_at for event in events):
        found.append(Entry(TimelineKind.CLOSED.value, letter.closes_at, closing_anchor(letter.closes_at)))
    published = dt.datetime.combine(letter.published_on, dt.time(), dt.timezone.utc)
    found.append(Entry(PUBLISHED, published, PUBLISHED))
    return sorted(found, key=lambda entry: (entry.at, entry.anchor), reverse=True)


def news(entries_newest_first: list[Entry], limit: int) -> list[Entry]:
    """What a letter page shows of its timeline: the latest events but the closings and reopenings,
    which the page already tells in its own words (and an admin's slip would fill the space)."""
    return [entry for entry in entries_newest_first if entry.kind not in SIGNING_KINDS][:limit]


def closing_anchor(closes_at: dt.datetime) -> str:
    """A closing's id on the page and in the feed: the same before and after a reopening stores it."""
    return f"closed-{closes_at:%Y%m%d%H%M%S}"


def _anchor(event: TimelineEvent) -> str:
    """Stable and never reused: from what makes the event unique, not from its row number."""
    if event.kind is TimelineKind.CLOSED:
        return closing_anchor(event.occurred_at)
    return f"{event.kind.value}-{event.key}"


def _entry(event: TimelineEvent, language: str, original: str) -> Entry:
    texts = {text.language: text for text in event.texts}
    text = texts.get(language) or texts.get(original)
    file = FileRef(event.file.id, event.file.sha256, event.file.content_type) if event.file else None
    return Entry(
        event.kind.value, event.occurred_at, _anchor(event), goal=event.goal,
        words=Words(text.title, text.summary) if text else None, words_language=text.language if text else None,
        in_other_language=text is not None and text.language != language, link=event.link, file=file,
        event_id=event.id, texts=tuple((code, Words(each.title, each.summary)) for code, each in sorted(texts.items())),
        updated=event.updated_at,
    )


def stage(letter: LetterInfo, now: dt.datetime | None = None) -> str:
    """Where the letter is: ``open``, ``closed``, ``delivered`` or ``answered``."""
    kinds = set(db.session.scalars(select(TimelineEvent.kind).where(
        TimelineEvent.letter_id == letter.id,
        TimelineEvent.kind.in_([TimelineKind.DELIVERED, TimelineKind.RESPONSE])).distinct()))
    if TimelineKind.RESPONSE in kinds:
        return "answered"
    if TimelineKind.DELIVERED in kinds:
        return "delivered"
    return "closed" if has_closed(letter.closes_at, now) else "open"


def record_event(letter: LetterInfo, kind: TimelineKind, occurred_at: dt.datetime, words: dict[str, Words],
                 link: str | None, upload: bytes | None, actor: AdminUser | None, actor_label: str) -> TimelineEvent:
    """Put a delivery or a response on the timeline, with its words per language and its file."""
    if kind not in RECORDED_KINDS:
        raise ValueError(f"{kind} events are recorded automatically")
    if letter.original_language not in words:
        raise MissingOriginal(letter.original_language)
    event = TimelineEvent(letter_id=letter.id, kind=kind, key=secrets.token_hex(8), occurred_at=occurred_at,
                          link=link, recorded_by=actor_label)
    if upload:
        event.file = _stored_file(upload, RECORDED_KINDS[kind])
    event.texts = [TimelineText(language=code, title=each.title, summary=each.summary) for code, each in words.items()]
    db.session.add(event)
    db.session.flush()
    audit.record(actor, actor_label, "timeline.recorded", "letter", letter.id, after={
        "event": event.id, "kind": kind.value, "occurred_at": occurred_at.isoformat(), "languages": sorted(words),
        "link": link, "file": event.file.sha256 if event.file else None})
    db.session.commit()
    caches.clear()
    return event


def recorded_entry(letter: LetterInfo, event_id: int) -> Entry | None:
    """An event an admin recorded on this letter's timeline, with its words in every language they
    were written in; ``None`` for an automatic event or another letter's."""
    event = _recorded_event(letter, event_id)
    return _entry(event, letter.original_language, letter.original_language) if event is not None else None


def _recorded_event(letter: LetterInfo, event_id: int) -> TimelineEvent | None:
    event = db.session.scalars(select(TimelineEvent).where(
        TimelineEvent.id == event_id, TimelineEvent.letter_id == letter.id,
        TimelineEvent.kind.in_(list(RECORDED_KINDS)),
    ).options(selectinload(TimelineEvent.texts), selectinload(TimelineEvent.file).defer(TimelineFile.data))).first()
    return event


def remove_event(letter: LetterInfo, event_id: int, actor: AdminUser | None, actor_label: str) -> bool:
    """Take an event an admin recorded off the timeline (automatic ones stay: they happened), and
    its file with it when no other event shows it: a photo taken down is gone from its address."""
    event = _recorded_event(letter, event_id)
    if event is None:
        return False
    file = event.file
    audit.record(actor, actor_label, "timeline.removed", "letter", letter.id,
                 before={"event": event.id, "kind": event.kind.value, **_what_it_says(event)})
    db.session.delete(event)
    db.session.flush()
    _delete_if_unshown(file)
    db.session.commit()
    caches.clear()
    return True


def edit_event(letter: LetterInfo, event_id: int, occurred_at: dt.datetime, words: dict[str, Words], link: str | None,
               upload: bytes | None, remove_file: bool, actor: AdminUser | None, actor_label: str) -> bool:
    """Change what an admin recorded: its time, its words per language (a language left out loses
    its words), its link, and its file (``upload`` replaces it, ``remove_file`` takes it off; else it
    stays). The event keeps its id and anchor, so feed readers update the entry they have; a file it
    no longer shows is deleted from storage. ``False`` when nothing changed (nothing is recorded)."""
    event = _recorded_event(letter, event_id)
    if event is None:
        raise UnknownEvent(event_id)
    if letter.original_language not in words:
        raise MissingOriginal(letter.original_language)
    before = _what_it_says(event)
    old_file = event.file
    if upload:
        event.file = _stored_file(upload, RECORDED_KINDS[event.kind])
    elif remove_file:
        event.file = None
    event.occurred_at, event.link = occurred_at, link
    kept = {text.language: text for text in event.texts}
    for code, each in words.items():
        text = kept.get(code) or TimelineText(language=code)
        text.title, text.summary = each.title, each.summary
        kept[code] = text
    event.texts = [kept[code] for code in sorted(words)]
    after = _what_it_says(event)
    if after == before:
        db.session.rollback()
        return False
    event.updated_at = utcnow()
    db.session.flush()
    if old_file is not None and old_file is not event.file:
        _delete_if_unshown(old_file)
    changed = [name for name in after if after[name] != before[name]]
    audit.record(actor, actor_label, "timeline.edited", "letter", letter.id,
                 before={"event": event.id, "kind": event.kind.value, **{name: before[name] for name in changed}},
                 after={"event": event.id, "kind": event.kind.value, **{name: after[name] for name in changed}})
    db.session.commit()
    caches.clear()
    return True


def _what_it_says(event: TimelineEvent) -> dict[str, object]:
    """What an admin recorded, as the audit trail keeps it."""
    return {"occurred_at": event.occurred_at.isoformat(),
            "titles": {text.language: text.title for text in event.texts},
            "summaries": {text.language: text.summary for text in event.texts if text.summary},
            "link": event.link, "file": event.file.sha256 if event.file else None}


def _delete_if_unshown(file: TimelineFile | None) -> None:
    """A file no event shows any more is deleted: gone from its address (``404``) and from storage."""
    if file is not None and db.session.scalar(select(TimelineEvent.id).where(TimelineEvent.file_id == file.id)) is None:
        db.session.delete(file)


def _stored_file(upload: bytes, expected: str) -> TimelineFile:
    if expected == "pdf":
        if not upload.startswith(b"%PDF-"):
            raise UnusableFile("pdf")
        data, content_type = upload, "application/pdf"
    else:
        data, content_type = _clean_photo(upload)
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(select(TimelineFile).where(TimelineFile.sha256 == digest))
    return existing or TimelineFile(sha256=digest, content_type=content_type, data=data)


def _clean_photo(upload: bytes) -> tuple[bytes, str]:
    """A photo drawn again from its pixels: what the camera wrote into it (where, when, which
    device) stays behind, and a huge image is made a reasonable size."""
    try:
        with Image.open(io.BytesIO(upload)) as image:
            if image.format not in ("JPEG", "PNG", "WEBP"):
                raise UnusableFile("image")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as error:
        raise UnusableFile("too-large") from error
    except (UnidentifiedImageError, OSError) as error:
        raise UnusableFile("image") from error
    upright.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    output = io.BytesIO()
    if upright.mode in ("RGBA", "LA", "P"):
        upright.save(output, "PNG", optimize=True)
        return output.getvalue(), "image/png"
    upright.convert("RGB").save(output, "JPEG", quality=85, optimize=True)
    return output.getvalue(), "image/jpeg"


def stored_file(file_id: int, sha256_prefix: str) -> TimelineFile | None:
    found = db.session.get(TimelineFile, file_id)
    return found if found is not None and found.sha256.startswith(sha256_prefix) and len(sha256_prefix) == 16 else None
