"""The demo seed: deterministic, both kinds, many scripts and countries, counts rebuilt."""

from __future__ import annotations

from sqlalchemy import func, select

from campaign import demo
from campaign.models import Signature, SignatureStatus
from campaign.publication import counts as publication

from .factories import shipped_letter


def test_seed_adds_realistic_rows_and_rebuilds_counts(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--signatures", "600"])
    assert result.exit_code == 0 and "added 600 demo signatures" in result.output
    rows = db.session.scalars(select(Signature)).all()
    assert len(rows) == 600
    assert {row.kind.value for row in rows} == {"organisation", "individual"}
    assert {row.consent_publish for row in rows if row.kind.value == "individual"} == {True, False}
    assert len({row.country for row in rows}) > 20
    assert {row.status for row in rows} >= {SignatureStatus.PUBLISHED, SignatureStatus.PENDING}
    assert any("\u0600" <= ch <= "\u06ff" for row in rows for ch in row.name)
    assert any("\u0400" <= ch <= "\u04ff" for row in rows for ch in row.name)
    published = sum(1 for row in rows if row.status is SignatureStatus.PUBLISHED)
    letter = shipped_letter()
    assert publication.published_count(letter.id) == published
    assert sum(day.published for day in publication.history(letter.id)) == published
    counts = publication.counts(letter.id)
    assert counts.unnamed_individuals == sum(
        1 for row in rows if row.status is SignatureStatus.PUBLISHED and row.kind.value == "individual"
        and not row.consent_publish)


def test_seed_is_deterministic_and_adds_more_when_run_again(app, db):
    demo.seed(None, 50, seed_value=7)
    first = [row.name for row in db.session.scalars(select(Signature).order_by(Signature.id))]
    db.session.query(Signature).delete()
    db.session.commit()
    demo.seed(None, 50, seed_value=7)
    assert [row.name for row in db.session.scalars(select(Signature).order_by(Signature.id))] == first
    demo.seed(None, 30, seed_value=7)
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 80


def test_recount_repairs_the_figures(app, db):
    demo.seed(None, 100)
    letter = shipped_letter()
    expected = publication.published_count(letter.id)
    from campaign.models import PublishedTally

    db.session.query(PublishedTally).delete()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["letters", "recount", "ban-biometric-surveillance"])
    assert result.exit_code == 0 and publication.published_count(letter.id) == expected
