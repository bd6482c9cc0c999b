"""Fixtures: ``app``, ``client`` and ``db`` on SQLite and, when ``TEST_DATABASE_URL`` is set, PostgreSQL.

Each PostgreSQL run works in a database of its own, created here and dropped at the end, so a
developer's data and a concurrent run are never touched.
"""

from __future__ import annotations

import contextvars
import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from campaign import create_app
from campaign.crypto import generate_seal_keypair
from campaign.extensions import db as database

from .factories import SIGNER_ADDRESSES, TEST_CONFIG, load_shipped_letters
from .smtp_sink import SmtpSink

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


@contextmanager
def scratch_postgres_database(purpose: str):
    """Create an empty PostgreSQL database next to ``TEST_DATABASE_URL`` and drop it afterwards."""
    base = make_url(POSTGRES_URL)
    name = f"campaign_{purpose}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped (CI sets it)")
    with scratch_postgres_database("tests") as url:
        yield url


@pytest.fixture(autouse=True)
def fresh_signer_addresses():
    """Each test starts with no signer's address handed out (``factories.SIGNER_ADDRESSES``)."""
    SIGNER_ADDRESSES.clear()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(request, backend, tmp_path: Path) -> str:
    if backend == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def smtp():
    """A real SMTP server on loopback; tests read what it received from ``smtp.messages``."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def app_config(request, database_url) -> dict:
    """The configuration of the ``app`` under test; a test may override it with its own fixture."""
    config = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url}
    if "smtp" in request.fixturenames:
        sink = request.getfixturevalue("smtp")
        config.update(MAIL_SERVER=sink.hostname, MAIL_PORT=sink.port)
    if "seal_keys" in request.fixturenames:  # the test holds the private half: the app seals with its pair
        config["SEAL_PUBLIC_KEY"] = request.getfixturevalue("seal_keys")[0]
    return config


@pytest.fixture
def seal_keys() -> tuple[str, str]:
    """A fresh address-sealing key pair (public, private); a test that asks for it gets an app
    that seals with its public half."""
    return generate_seal_keypair()


@pytest.fixture
def app(app_config, database_url):
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        database.create_all()
        load_shipped_letters(app, list_drafters=False)
        database.session.remove()
    yield app
    with app.app_context():
        database.session.remove()
        if database_url.startswith("postgresql"):
            tables = ", ".join(f'"{table.name}"' for table in database.metadata.sorted_tables)
            with database.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        database.engine.dispose()


class IsolatedClient(FlaskClient):
    """Each request in a context of its own, as in production.

    Flask reuses an application context that is already active (our ``db`` fixture keeps one),
    which would share ``g`` (Flask-Login's user, Flask-WTF's token, Flask-Babel's locale) across
    requests. Afterwards the test's own session forgets what it loaded, to see the request's writes.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(self._open_and_read, *args, **kwargs)
        if has_app_context():
            database.session.expire_all()
        return response

    def _open_and_read(self, *args, **kwargs):
        """Read a streamed body inside the request's own context; ``was_streamed`` records it."""
        response = super().open(*args, **kwargs)
        response.was_streamed = response.is_streamed
        response.get_data()
        response.close()
        return response


@pytest.fixture
def drafters(app):
    """The letter's drafting organisations on its list, as ``flask letters load`` puts them there."""
    with app.app_context():
        load_shipped_letters(app)
        database.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    with app.app_context():
        yield database
        database.session.remove()
