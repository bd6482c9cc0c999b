"""The Alembic head builds exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from campaign import create_app
from campaign.extensions import db

from .conftest import POSTGRES_URL, scratch_postgres_database
from .factories import TEST_CONFIG


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped (CI sets it)")
    with scratch_postgres_database("migrations") as url:
        yield url


def test_alembic_head_matches_the_models(empty_database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_migrations_downgrade_to_an_empty_schema(empty_database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert tables <= {"alembic_version"}


def test_invisible_characters_stored_before_are_removed_by_the_migration(empty_database_url):
    from sqlalchemy import text

    from campaign.text import search_key

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0004_public_list")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO letters (id, slug, original_language, published_on, contact, drafted_by, created_at, "
                "updated_at) VALUES (1, 'l', 'en', '2026-01-01', 'c@example.org', '[]', '2026-01-01', '2026-01-01')"))
            connection.execute(text(
                "INSERT INTO signatures (id, letter_id, kind, status, name, organisation, country, email_hash, "
                "email_domain, email_sealed, language, letter_version, consent_publish, consent_updates, "
                "is_drafter, source, created_at, updated_at, search_text) VALUES (1, 1, 'organisation', "
                "'published', 'Ana\u200b Lima', 'Access\u200b N\u200dow', 'BR', 'h', 'example.org', :sealed, 'en', "
                "'v', true, false, false, 'form', '2026-01-01', '2026-01-01', 'access\u200b now')"),
                {"sealed": b"x"})
        upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(text("SELECT name, organisation, search_text FROM signatures")).one()
        db.engine.dispose()
    assert tuple(row) == ("Ana Lima", "Access Now", search_key("Access Now"))


def test_an_admin_address_stored_with_a_unicode_domain_is_moved_to_idna_2008(empty_database_url):
    from sqlalchemy import text

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0016_updates")
        with db.engine.begin() as connection:
            for number, email in enumerate(["jörg@straße.de", "plain@example.org", "not an address ß"], start=1):
                connection.execute(text(
                    "INSERT INTO admin_users (id, email, password_hash, role, totp_secret, active, wants_digest, "
                    "created_at, password_changed_at) VALUES (:id, :email, 'h', 'moderator', 'S', true, true, "
                    "'2026-01-01', '2026-01-01')"), {"id": number, "email": email})
        upgrade()
        with db.engine.connect() as connection:
            stored = list(connection.scalars(text("SELECT email FROM admin_users ORDER BY id")))
        db.engine.dispose()
    assert stored == ["jörg@xn--strae-oqa.de", "plain@example.org", "not an address ß"]


def test_held_addresses_move_into_their_signatures_and_the_table_stays_for_the_release_before(empty_database_url):
    """Migration 0018 moves each held box into its signature's column; the table stays (empty) for
    the app nodes a rolling deploy has not reloaded yet, which still write it."""
    from sqlalchemy import text

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0017_admin_idna_2008")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO letters (id, slug, original_language, published_on, contact, drafted_by, created_at, "
                "updated_at) VALUES (1, 'l', 'en', '2026-01-01', 'c@example.org', '[]', '2026-01-01', '2026-01-01')"))
            for number in (1, 2):
                connection.execute(text(
                    "INSERT INTO signatures (id, letter_id, kind, status, name, country, language, letter_version, "
                    "consent_publish, consent_updates, is_drafter, source, created_at, updated_at, search_text, "
                    "public_id, snapshot_salt) VALUES (:id, 1, 'individual', 'verified', 'Ana', 'BR', 'en', 'v', "
                    "true, false, false, 'form', '2026-01-01', '2026-01-01', 'ana', :public, :salt)"),
                    {"id": number, "public": f"{number:032x}", "salt": b"s" * 32})
            connection.execute(text("INSERT INTO held_addresses (signature_id, address_box, created_at) "
                                    "VALUES (1, :box, '2026-01-01')"), {"box": b"box-one"})
        upgrade()
        with db.engine.connect() as connection:
            boxes = connection.execute(text("SELECT id, held_address_box FROM signatures ORDER BY id")).all()
            left = connection.scalar(text("SELECT count(*) FROM held_addresses"))
        db.engine.dispose()
    assert [tuple(row) for row in boxes] == [(1, b"box-one"), (2, None)] and left == 0
