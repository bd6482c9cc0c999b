"""Signed snapshots of a letter's public list, chained, and the proofs that an entry is in one.

A snapshot is a Merkle tree (``merkle``, RFC 6962) over every entry on the public list (the
organisations, and the individuals who chose to be named: what the list and its open data show),
one leaf per entry in the order of its random public id. A leaf's data is the entry's own random
salt followed by its public fields as canonical JSON (``entry_record``), so a leaf says nothing of
an entry to whoever lacks the salt, and a withdrawn entry, deleted with its salt, leaves a leaf that
never will. The statement (root, count, what was added and removed since the snapshot before, the
letter's text versions, the time, the hash of the statement before) is signed with Ed25519 by a key
that is not the address-sealing key; each statement names the one before, so removing or editing
an old snapshot breaks every later one.

Publishing streams the entries once and holds only the tree's frontier; the tree's complete nodes
and the public ids in leaf order are written as they come, in runs (``SnapshotChunk``), so a proof
is a few indexed reads. ``tools/verify_snapshot.py`` checks all this with the standard library and
PyNaCl alone: the encoding here and there must stay the same.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from nacl.signing import SigningKey
from sqlalchemy import ColumnElement, insert, or_, select

from ..crypto import load_signing_key, signing_public_key
from ..extensions import db
from ..models import Letter, LetterText, Signature, SignatureKind, SignatureStatus, Snapshot, SnapshotChunk, utcnow
from . import merkle
from .changes import Position
from .listing import public_fields

FORMAT = "campaign-snapshot/1"
PROOF_FORMAT = "campaign-proof/1"
#: Values per stored run: 1024 hashes are 32 KB.
CHUNK = 1024
IDS = -1  # the level of the public ids' runs
HASH_BYTES = 32
ID_BYTES = 16
STREAM_BATCH = 5000


class SnapshotError(Exception):
    """A domain error of this module."""


class NoSigningKey(SnapshotError):
    """No snapshot signing key is configured (``FLASK_SNAPSHOT_SIGNING_KEY_FILE``)."""


class NoProof(SnapshotError):
    """No proof for this entry: no snapshot yet, not on the list, or not in the latest snapshot."""


class ChangedSinceSnapshot(NoProof):
    """The entry is in the latest snapshot as it was then; it has changed since."""


def is_public_id(text: str) -> bool:
    """A public id as ``signing.rows`` makes them: 32 lowercase hexadecimal digits."""
    return len(text) == 2 * ID_BYTES and all(character in "0123456789abcdef" for character in text)


def canonical(value: object) -> bytes:
    """The one encoding of what is hashed and signed: JSON, keys sorted, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def statement_hash(statement: dict) -> str:
    return hashlib.sha256(canonical(statement)).hexdigest()


# The columns ``entry_record`` reads, in its order.
ENTRY_COLUMNS = (Signature.public_id, Signature.kind, Signature.name, Signature.organisation, Signature.role,
                 Signature.country, Signature.website, Signature.is_drafter, Signature.published_at,
                 Signature.domain_verified, Signature.letter_version, Signature.snapshot_salt)


def entry_record(public_id: str, kind: SignatureKind, name: str | None, organisation: str | None, role: str | None,
                 country: str, website: str | None, drafter: bool, published_at: dt.datetime | None,
                 verified: bool, letter_version: str) -> dict:
    """An entry's public fields as a leaf holds them: those of the public list and its open data
    (``listing.public_fields``), its public id, and the version of the text it signed."""
    name, organisation, role, website = public_fields(kind, name, organisation, role, website)
    return {"id": public_id, "kind": kind.value, "name": name, "organisation": organisation, "role": role,
            "country": country, "website": website, "drafter": drafter,
            "published_on": published_at.date().isoformat() if published_at else None, "verified": verified,
            "letter_version": letter_version}


def leaf_of(record: dict, salt: bytes) -> bytes:
    return merkle.leaf_hash(salt + canonical(record))


def listed(letter_id: int) -> tuple[ColumnElement[bool], ...]:
    """On the public list: published, and an organisation or a named individual."""
    return (Signature.letter_id == letter_id, Signature.status == SignatureStatus.PUBLISHED,
            or_(Signature.kind == SignatureKind.ORGANISATION, Signature.consent_publish.is_(True)))


def _entries(letter_id: int) -> Iterator[tuple[str, bytes]]:
    """(public id, leaf hash) of every listed entry, in public id order, streamed."""
    statement = select(*ENTRY_COLUMNS).where(*listed(letter_id)).order_by(Signature.public_id)
    previous = ""
    for *columns, salt in db.session.execute(statement.execution_options(yield_per=STREAM_BATCH, stream_results=True)):
        public_id = columns[0]
        if public_id <= previous:  # the database's order must be the bytes' order, or proofs would lie
            raise SnapshotError("public ids did not come in byte order")
        previous = public_id
        yield public_id, leaf_of(entry_record(*columns), salt)


class _Runs:
    """Fixed-width values written to ``SnapshotChunk`` in runs of ``CHUNK``, per level."""

    def __init__(self, snapshot_id: int) -> None:
        self.snapshot_id = snapshot_id
        self.pending: dict[int, list[bytes]] = {}
        self.written: dict[int, int] = {}
        self.first_ids: dict[int, str] = {}
        self.rows: list[dict] = []

    def add(self, level: int, value: bytes) -> None:
        values = self.pending.setdefault(level, [])
        values.append(value)
        if len(values) == CHUNK:
            self._close(level)

    def _close(self, level: int) -> None:
        values = self.pending.pop(level, [])
        if not values:
            return
        chunk = self.written.get(level, 0)
        self.written[level] = chunk + 1
        self.rows.append({"snapshot_id": self.snapshot_id, "level": level, "chunk": chunk,
                          "first_id": values[0].hex() if level == IDS else None, "data": b"".join(values)})
        if len(self.rows) >= 64:
            self.flush()

    def flush(self, final: bool = False) -> None:
        if final:
            for level in list(self.pending):
                self._close(level)
        if self.rows:
            db.session.execute(insert(SnapshotChunk), self.rows)
            self.rows = []


def _previous_ids(snapshot: Snapshot | None) -> Iterator[bytes]:
    if snapshot is None:
        return
    chunks = select(SnapshotChunk.data).where(SnapshotChunk.snapshot_id == snapshot.id, SnapshotChunk.level == IDS) \
        .order_by(SnapshotChunk.chunk)
    for data in db.session.scalars(chunks.execution_options(yield_per=8, stream_results=True)):
        for start in range(0, len(data), ID_BYTES):
            yield data[start:start + ID_BYTES]


def signing_key() -> SigningKey:
    """The Ed25519 key from ``SNAPSHOT_SIGNING_KEY_FILE`` (its 32-byte seed, base64)."""
    path = current_app.config.get("SNAPSHOT_SIGNING_KEY_FILE")
    if not path:
        raise NoSigningKey(
            "no snapshot signing key: make one with `flask --app wsgi keys generate-signing --private-key-file FILE`, "
            "set FLASK_SNAPSHOT_SIGNING_KEY_FILE=FILE where the app and this command read their settings (in a "
            "checkout, instance/development.env), and restart the app so that it serves the public key")
    return load_signing_key(Path(path))


def public_key() -> str | None:
    """The signing key's public half (base64), as published; ``None`` when none is configured."""
    try:
        return signing_public_key(signing_key())
    except NoSigningKey:
        return None


def latest(letter_id: int) -> Snapshot | None:
    return db.session.scalar(select(Snapshot).where(Snapshot.letter_id == letter_id)
                             .order_by(Snapshot.number.desc()).limit(1))


def all_of(letter_id: int) -> list[Snapshot]:
    return list(db.session.scalars(select(Snapshot).where(Snapshot.letter_id == letter_id).order_by(Snapshot.number)))


def by_number(letter_id: int, number: int) -> Snapshot | None:
    return db.session.scalar(select(Snapshot).where(Snapshot.letter_id == letter_id, Snapshot.number == number))


def _versions(letter_id: int) -> dict[str, list[str]]:
    """Every version of the text in each language, oldest first: what an entry's version names."""
    found: dict[str, list[str]] = {}
    for language, version in db.session.execute(
            select(LetterText.language, LetterText.version).where(LetterText.letter_id == letter_id)
            .order_by(LetterText.language, LetterText.id)):
        found.setdefault(language, []).append(version)
    return found


def _time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def publish(letter: Letter, now: dt.datetime | None = None) -> Snapshot:
    """Take, sign and store the next snapshot of ``letter``'s public list, in one transaction."""
    key = signing_key()
    now = now or utcnow()
    db.session.execute(select(Letter.id).where(Letter.id == letter.id).with_for_update())  # one publisher at a time
    previous = latest(letter.id)
    snapshot = Snapshot(letter_id=letter.id, number=(previous.number + 1) if previous else 1, created_at=now,
                        count=0, added=0, removed=0, root="", statement="", statement_hash="", signature="")
    db.session.add(snapshot)
    db.session.flush()
    runs = _Runs(snapshot.id)
    builder = merkle.Builder(lambda level, index, node: runs.add(level, node))
    old = _previous_ids(previous)
    waiting = next(old, None)
    added = removed = 0
    for public_id, leaf in _entries(letter.id):
        raw = bytes.fromhex(public_id)
        while waiting is not None and waiting < raw:
            removed += 1
            waiting = next(old, None)
        if waiting == raw:
            waiting = next(old, None)
        else:
            added += 1
        runs.add(IDS, raw)
        builder.add(leaf)
    while waiting is not None:
        removed += 1
        waiting = next(old, None)
    runs.flush(final=True)
    feed = db.session.execute(select(Signature.published_at, Signature.id).where(
        Signature.letter_id == letter.id, Signature.status == SignatureStatus.PUBLISHED,
        Signature.published_at.is_not(None)).order_by(Signature.published_at.desc(), Signature.id.desc()).limit(1)).first()
    root = builder.root().hex()
    statement: dict[str, object] = {
        "format": FORMAT, "letter": letter.slug, "number": snapshot.number, "time": _time(now),
        "count": builder.size, "root": root, "added": added, "removed": removed,
        "versions": _versions(letter.id), "previous": previous.statement_hash if previous else None,
    }
    encoded = canonical(statement)
    snapshot.count, snapshot.added, snapshot.removed = builder.size, added, removed
    snapshot.root = root
    snapshot.statement = encoded.decode("utf-8")
    snapshot.statement_hash = hashlib.sha256(encoded).hexdigest()
    snapshot.signature = key.sign(encoded).signature.hex()
    snapshot.feed_at, snapshot.feed_id = (feed[0], feed[1]) if feed else (None, None)
    db.session.commit()
    return snapshot


def signed(snapshot: Snapshot) -> dict:
    """What a reader checks: the statement exactly as signed, and its signature."""
    return {"statement": json.loads(snapshot.statement), "signature": snapshot.signature}


def summary(snapshot: Snapshot) -> dict:
    """What the delivery pack carries of a snapshot (its manifest and its PDF): enough to check it
    against the list of snapshots, and its statement's signature."""
    return {"number": snapshot.number, "time": _time(snapshot.created_at), "count": snapshot.count,
            "root": snapshot.root, "statement_hash": snapshot.statement_hash, "signature": snapshot.signature}


def feed_position(snapshot: Snapshot) -> Position | None:
    """Where the change feed stood at the snapshot; ``None``: nothing was published yet."""
    return Position(snapshot.feed_at, snapshot.feed_id) if snapshot.feed_at and snapshot.feed_id is not None else None


def _read(snapshot_id: int, wanted: list[tuple[int, int]], width: int) -> dict[tuple[int, int], bytes]:
    """Values ``(level, index)`` from their runs, one query."""
    runs = {(level, index // CHUNK) for level, index in wanted}
    if not runs:
        return {}
    rows = db.session.execute(select(SnapshotChunk.level, SnapshotChunk.chunk, SnapshotChunk.data).where(
        SnapshotChunk.snapshot_id == snapshot_id,
        or_(*((SnapshotChunk.level == level) & (SnapshotChunk.chunk == chunk) for level, chunk in runs))))
    data = {(level, chunk): blob for level, chunk, blob in rows}
    found = {}
    for level, index in wanted:
        start = (index % CHUNK) * width
        found[(level, index)] = data[(level, index // CHUNK)][start:start + width]
    return found


def leaf_index(snapshot: Snapshot, public_id: str) -> int | None:
    """Where the entry is among the snapshot's leaves; ``None`` if it is not in it."""
    row = db.session.execute(select(SnapshotChunk.chunk, SnapshotChunk.data).where(
        SnapshotChunk.snapshot_id == snapshot.id, SnapshotChunk.level == IDS, SnapshotChunk.first_id <= public_id)
        .order_by(SnapshotChunk.first_id.desc()).limit(1)).first()
    if row is None:
        return None
    chunk, data = row
    ids = [data[start:start + ID_BYTES] for start in range(0, len(data), ID_BYTES)]
    raw = bytes.fromhex(public_id)
    position = bisect.bisect_left(ids, raw)
    return chunk * CHUNK + position if position < len(ids) and ids[position] == raw else None


def has_proof(letter: Letter, public_id: str) -> bool:
    try:
        proof(letter, public_id)
    except NoProof:
        return False
    return True


@dataclass(frozen=True)
class Proof:
    record: dict
    document: dict


def proof(letter: Letter, public_id: str, number: int | None = None) -> Proof:
    """An entry's inclusion proof in the latest snapshot, or in the one numbered ``number`` (the one a
    delivery pack carries, say): the entry, its salt, its leaf's index, the audit path and the signed
    statement. The entry must still be on the list as it was then (its salt and fields make the
    leaf). Raises ``NoProof`` (or ``ChangedSinceSnapshot``)."""
    snapshot = latest(letter.id) if number is None else by_number(letter.id, number)
    if snapshot is None:
        raise NoProof("no snapshot of this letter yet" if number is None else "no snapshot with this number")
    row = db.session.execute(select(*ENTRY_COLUMNS).where(*listed(letter.id), Signature.public_id == public_id)).first()
    if row is None:
        raise NoProof("no entry with this public id on the list")
    *columns, salt = row
    record = entry_record(*columns)
    index = leaf_index(snapshot, public_id)
    if index is None:
        raise NoProof("the entry is not in the latest snapshot yet" if number is None
                      else "the entry is not in this snapshot")
    ranges = merkle.audit_ranges(index, snapshot.count)
    wanted = [(0, index), *(node for start, end in ranges for node in merkle.range_nodes(start, end))]
    nodes = _read(snapshot.id, wanted, HASH_BYTES)
    if nodes[(0, index)] != leaf_of(record, salt):
        raise ChangedSinceSnapshot("the entry has changed since the latest snapshot" if number is None
                                   else "the entry has changed since this snapshot")
    path = [merkle.fold([nodes[node] for node in merkle.range_nodes(start, end)]).hex() for start, end in ranges]
    return Proof(record, {
        "format": PROOF_FORMAT, "entry": record, "salt": salt.hex(), "leaf_index": index, "audit_path": path,
        "snapshot": signed(snapshot),
    })
