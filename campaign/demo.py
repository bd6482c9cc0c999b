"""Deterministic demo data at scale, for benchmarks and for trying the site with a full list.

Rows are generated in memory and bulk-loaded: PostgreSQL's COPY, or batched inserts on SQLite.
The same seed and count always give the same signatures; running again adds new ones.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from collections.abc import Callable, Iterator

from flask import current_app
from sqlalchemy import func, insert, select

from . import letters
from .crypto import keyed_hash, seal
from .extensions import db
from .models import Letter, Signature, SignatureKind, SignatureStatus, utcnow
from .publication import counts
from .signing.fields import SignatureDetails
from .signing.rows import signature_row

BATCH = 20_000
SEALED_POOL = 256
SYLLABLES = {
    "latin": ["ana", "bel", "car", "do", "el", "fer", "ga", "hu", "is", "jo", "ka", "lu", "ma", "ni", "or", "pe",
              "que", "ra", "sol", "ti", "ur", "va", "xi", "yo", "za"],
    "arabic": ["سل", "مى", "خا", "لد", "نو", "ر", "ها", "دي", "فا", "طم", "ة", "عم", "ر", "يو", "سف", "لي"],
    "cyrillic": ["ан", "на", "ив", "ан", "ол", "га", "ми", "ха", "ил", "св", "ет", "ла", "до", "ри", "на"],
    "devanagari": ["रा", "म", "सी", "ता", "अ", "नि", "ल", "प्र", "िया", "दे", "व", "क", "मल"],
    "han": ["李", "王", "张", "刘", "陈", "杨", "黄", "赵", "明", "华", "丽", "伟", "芳", "军"],
}
ORGANISATION_WORDS = ["Coalition", "Network", "Collective", "Foundation", "Association", "Institute", "Forum",
                      "Initiative", "Observatory", "Alliance", "Centre", "Union", "Lab", "Project"]
TOPICS = ["Digital Rights", "Privacy", "Civil Liberties", "Open Technology", "Human Rights", "Free Expression",
          "Data Justice", "Internet Freedom", "Migrant Rights", "Press Freedom"]
COUNTRIES = ["BR", "US", "DE", "FR", "IN", "KE", "EG", "LB", "AR", "MX", "GB", "ES", "IT", "NG", "ZA", "PK", "ID",
             "PH", "TN", "MA", "JO", "CO", "CL", "PE", "CA", "AU", "JP", "KR", "UA", "PL", "NL", "BE", "SE", "TR"]
def _name(rng: random.Random, script: str) -> str:
    parts = SYLLABLES[script]
    word = lambda: "".join(rng.choice(parts) for _ in range(rng.randint(2, 3)))  # noqa: E731
    separator = "" if script == "han" else " "
    name = separator.join(word() for _ in range(2))
    return name.title() if script == "latin" else name


def generate(letter: Letter, version: str, count: int, start: int, seed: int) -> Iterator[dict]:
    """Signature rows as dicts: both kinds, many countries and scripts, both consent choices."""
    rng = random.Random(seed * 1_000_003 + start)
    hash_key = current_app.config["EMAIL_HASH_KEY"]
    public_key = current_app.config["SEAL_PUBLIC_KEY"]
    sealed_pool = [seal(public_key, f"demo-{index}@example.org") for index in range(SEALED_POOL)]
    now = utcnow()
    scripts = list(SYLLABLES)
    languages = current_app.config["LANGUAGES"]
    for index in range(start, start + count):
        organisation_kind = rng.random() < 0.3
        roll = rng.random()
        status = SignatureStatus.PUBLISHED if roll < 0.9 else SignatureStatus.PENDING if roll < 0.97 \
            else SignatureStatus.VERIFIED
        name = _name(rng, rng.choice(scripts))
        organisation = (f"{rng.choice(TOPICS)} {rng.choice(ORGANISATION_WORDS)} {index}" if organisation_kind
                        else (f"{rng.choice(TOPICS)} {rng.choice(ORGANISATION_WORDS)}" if rng.random() < 0.3 else None))
        kind = SignatureKind.ORGANISATION if organisation_kind else SignatureKind.INDIVIDUAL
        consent = organisation_kind or rng.random() < 0.75
        created = now - dt.timedelta(seconds=rng.randint(0, 60 * 86_400))
        domain = f"org{index % 5000}.example" if organisation_kind else rng.choice(["mail.example", "post.example"])
        details = SignatureDetails(
            kind=kind, name=name, organisation=organisation, role=None, country=rng.choice(COUNTRIES), city=None,
            website=f"https://www.org{index}.example" if organisation_kind else None, comment=None,
            consent_publish=consent, consent_updates=rng.random() < 0.4,
        )
        address = {"email_hash": keyed_hash(hash_key, f"demo-{seed}-{index}@{domain}"), "email_domain": domain,
                   "email_sealed": sealed_pool[index % SEALED_POOL]}
        yield signature_row(letter.id, details, status=status, language=rng.choice(languages),
                            letter_version=version, source="demo", now=created, address=address)


def _copy_rows(rows: list[dict]) -> None:
    """PostgreSQL's COPY: the fastest way in, through the session's own connection."""
    columns = list(rows[0])
    connection = db.session.connection().connection.driver_connection
    if connection is None:
        raise RuntimeError("the session's database connection is closed")
    with connection.cursor() as cursor, cursor.copy(f"COPY signatures ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column].value if isinstance(row[column], enum.Enum) else row[column]
                            for column in columns])


def seed(letter_slug: str | None, count: int, seed_value: int = 1, progress: Callable[[int], object] | None = None) -> int:
    """Add ``count`` demo signatures to a letter and rebuild its counts; returns how many exist now."""
    letter = letters.find_letter(letter_slug)
    if letter is None:
        raise LookupError("no such letter; run `flask --app wsgi letters load` first")
    view = letters.letter_in_language(letter, letter.original_language)
    if view is None:
        raise LookupError("the letter's text is not loaded; run `flask --app wsgi letters load` first")
    version = view.text.version
    start = db.session.execute(
        select(func.count()).select_from(Signature).where(Signature.source == "demo")
    ).scalar_one()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    batch: list[dict] = []
    done = 0
    for row in generate(letter, version, count, start, seed_value):
        batch.append(row)
        if len(batch) == BATCH:
            _copy_rows(batch) if postgres else db.session.execute(insert(Signature), batch)
            done += len(batch)
            batch = []
            if progress:
                progress(done)
    if batch:
        _copy_rows(batch) if postgres else db.session.execute(insert(Signature), batch)
        done += len(batch)
    counts.rebuild_counts(letter.id)
    db.session.commit()
    if postgres:
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE signatures")
    return start + done
