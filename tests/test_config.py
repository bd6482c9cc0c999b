"""Start-up configuration: environment variables honoured, unsafe settings refused."""

from __future__ import annotations

import pytest

from campaign import create_app
from campaign.config import ConfigError
from campaign.crypto import generate_seal_keypair

from .factories import TEST_CONFIG

GOOD_SECRET = "x" * 40
PRODUCTION = {
    "TESTING": False,
    "DEBUG": False,
    "SITE_URL": "https://campaign.example",
    "EMAIL_HASH_KEY": "e" * 40,
    "CLIENT_HASH_KEY": "c" * 40,
    "SEAL_PUBLIC_KEY": generate_seal_keypair()[0],
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("secret", [None, "", "dev", "changeme"])
def test_production_refuses_missing_or_default_secret(secret):
    with pytest.raises(ConfigError, match="FLASK_SECRET_KEY"):
        create_app({**PRODUCTION, "SECRET_KEY": secret})


def test_production_refuses_short_secret():
    with pytest.raises(ConfigError, match="shorter than 32 bytes"):
        create_app({**PRODUCTION, "SECRET_KEY": "s" * 31})


def test_production_starts_with_a_long_secret():
    app = create_app({**PRODUCTION, "SECRET_KEY": GOOD_SECRET})
    assert app.config["SECRET_KEY"] == GOOD_SECRET


def test_debug_starts_without_secret():
    app = create_app({"DEBUG": True, "TESTING": False})
    assert app.debug


def test_secret_from_environment(monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", GOOD_SECRET)
    app = create_app(dict(PRODUCTION))
    assert app.config["SECRET_KEY"] == GOOD_SECRET


@pytest.mark.parametrize("name", ["EMAIL_HASH_KEY", "CLIENT_HASH_KEY"])
@pytest.mark.parametrize("value", [None, "short"])
def test_production_refuses_missing_or_short_hash_keys(name, value):
    with pytest.raises(ConfigError, match=f"FLASK_{name}"):
        create_app({**PRODUCTION, "SECRET_KEY": GOOD_SECRET, name: value})


def test_hash_keys_must_differ_from_the_secret_key():
    with pytest.raises(ConfigError, match="must differ"):
        create_app({**PRODUCTION, "SECRET_KEY": GOOD_SECRET, "EMAIL_HASH_KEY": GOOD_SECRET})


def test_production_refuses_to_start_without_a_public_key():
    with pytest.raises(ConfigError, match="keys generate"):
        create_app({**PRODUCTION, "SECRET_KEY": GOOD_SECRET, "SEAL_PUBLIC_KEY": None})


def test_a_malformed_public_key_is_refused():
    with pytest.raises(ConfigError, match="FLASK_SEAL_PUBLIC_KEY"):
        create_app({**PRODUCTION, "SECRET_KEY": GOOD_SECRET, "SEAL_PUBLIC_KEY": "not-a-key"})


def test_debug_fills_in_missing_development_keys():
    app = create_app({"DEBUG": True, "TESTING": False})
    assert len(app.config["SECRET_KEY"]) >= 32 and len(app.config["EMAIL_HASH_KEY"]) >= 32
    assert app.config["SECRET_KEY"] != app.config["EMAIL_HASH_KEY"] and app.config["SEAL_PUBLIC_KEY"]
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    with app.test_request_context("/en/sign"):
        from flask_wtf.csrf import generate_csrf

        assert generate_csrf()


def test_environment_variables_are_honoured(monkeypatch):
    monkeypatch.setenv("FLASK_SITE_URL", "https://letter.example.org")
    monkeypatch.setenv("FLASK_MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("FLASK_MAIL_PORT", "2525")
    monkeypatch.setenv("FLASK_MAIL_DEFAULT_SENDER", "letter@example.org")
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", "sqlite:///:memory:")
    app = create_app({"TESTING": True, "SECRET_KEY": GOOD_SECRET})
    assert app.config["SITE_URL"] == "https://letter.example.org"
    assert app.config["MAIL_SERVER"] == "smtp.example.org"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["MAIL_DEFAULT_SENDER"] == "letter@example.org"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///:memory:"


def test_default_database_is_sqlite_in_instance_folder():
    app = create_app(TEST_CONFIG)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///") and uri.endswith("instance/campaign.sqlite3")


def test_postgres_gets_a_connect_timeout():
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1/x"})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] == 5


@pytest.mark.parametrize(
    "languages, message",
    [
        ([], "JSON list"),
        ("en", "JSON list"),
        (["en", "EN"], "lower-case"),
        (["en", "qq"], "Babel knows no locale"),
        (["en", "it"], "No compiled catalogue"),
    ],
)
def test_unusable_language_sets_are_refused(languages, message):
    with pytest.raises(ConfigError, match=message):
        create_app({**TEST_CONFIG, "LANGUAGES": languages})


def test_default_language_must_be_offered():
    with pytest.raises(ConfigError, match="FLASK_DEFAULT_LANGUAGE"):
        create_app({**TEST_CONFIG, "LANGUAGES": ["en", "ar"], "DEFAULT_LANGUAGE": "fr"})


@pytest.mark.parametrize("site_url", ["campaign.example", "https://campaign.example/", "ftp://x"])
def test_malformed_site_url_is_refused(site_url):
    with pytest.raises(ConfigError, match="FLASK_SITE_URL"):
        create_app({**TEST_CONFIG, "SITE_URL": site_url})


def test_production_site_url_must_be_https():
    with pytest.raises(ConfigError, match="https"):
        create_app({**PRODUCTION, "SECRET_KEY": GOOD_SECRET, "SITE_URL": "http://campaign.example"})


def test_migrations_are_not_run_by_the_factory(tmp_path):
    from sqlalchemy import inspect

    from campaign.extensions import db

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []


@pytest.mark.parametrize("hours", [-1, "soon", 72, 100])
def test_a_reminder_must_come_while_its_link_works_and_before_mail_is_given_up(hours):
    with pytest.raises(ConfigError, match="FLASK_CONFIRM_REMINDER_HOURS"):
        create_app({**TEST_CONFIG, "CONFIRM_REMINDER_HOURS": hours})


def test_reminders_can_be_turned_off():
    assert create_app({**TEST_CONFIG, "CONFIRM_REMINDER_HOURS": 0}).config["CONFIRM_REMINDER_HOURS"] == 0


@pytest.mark.parametrize("hours", [0, -1, 337, "72", True])
def test_account_link_lifetime_is_bounded(hours):
    with pytest.raises(ConfigError, match="FLASK_ACCOUNT_LINK_HOURS"):
        create_app({**TEST_CONFIG, "ACCOUNT_LINK_HOURS": hours})
