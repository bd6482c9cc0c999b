"""Configuration: defaults in code, then ``FLASK_*`` environment variables, then a test mapping.

Every setting an operator may change is listed in the README. ``validate`` runs once in the
factory and refuses to start with a message that names the variable to set.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from dotenv import dotenv_values
from flask import Flask

from .crypto import generate_seal_keypair, load_signing_key, parse_public_key

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Secret keys that must never reach production: empty, the Flask docs' examples, our own placeholder.
KNOWN_WEAK_SECRETS = frozenset({"", "dev", "development", "secret", "changeme", "change-me"})
MINIMUM_SECRET_BYTES = 32


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to set."""


class DefaultConfig:
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: a SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    DATABASE_CONNECT_TIMEOUT = 5

    SITE_URL = "http://127.0.0.1:5000"
    SITE_NAME = "Ban Biometric Surveillance"

    LANGUAGES = ["en", "es", "fr", "pt", "de", "ar"]
    DEFAULT_LANGUAGE = "en"
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")

    LETTERS_DIR = str(PROJECT_ROOT / "letters")
    FEATURED_LETTER: str | None = None  # None: the only letter, or the most recently published

    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "campaign@localhost"

    MAIL_TRANSPORT = "smtp"  # or "console": print messages instead of sending (development)
    MAIL_TIMEOUT_SECONDS = 20  # a mail server silent this long counts as a temporary failure

    EMAIL_HASH_KEY: str | None = None
    CLIENT_HASH_KEY: str | None = None
    SEAL_PUBLIC_KEY: str | None = None
    #: The Ed25519 key that signs the list's snapshots (``keys generate-signing``); none: no snapshots.
    SNAPSHOT_SIGNING_KEY_FILE: str | None = None

    CONFIRM_TOKEN_HOURS = 72
    MANAGE_TOKEN_DAYS = 30
    SUPPRESSION_DAYS = 30
    UPDATES_MIN_DAYS = 7  # at least this many days between two campaign updates to one signer
    SIGN_MIN_SECONDS = 3
    SIGN_FORM_MAX_AGE_HOURS = 24
    # Per client address: a whole room on one network (a launch event, an office, a carrier's shared
    # address) must be able to sign at once; floods are held by the per-address email cap, the
    # confirmation link, the moderators and their network warnings (README, "Abuse limits").
    SIGN_RATE_LIMIT = "100/minute;600/hour;3000/day"
    VERIFICATION_EMAIL_LIMIT = "10/day"
    RESEND_COOLDOWN_SECONDS = 60
    AUTO_PUBLISH = "none"  # or "individuals" / "all-unflagged": confirmed entries with no warning published at once
    CONFIRM_REMINDER_HOURS = 24  # one reminder to confirm, this long after signing; 0: none
    NOTIFY_SIGNER_ON_PUBLISH = True  # "you are on the list", when a moderator publishes
    NOTIFY_SIGNER_ON_REJECT = True  # moderators may tell a rejected signer why

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_KEY_PREFIX = "campaign"
    # A store that accepts connections but stops answering must count as failed, fast: without
    # timeouts every submission would wait on it (and hold its worker) for ever.
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}
    RATELIMIT_FALLBACK_PROCESSES = 1  # processes counting alone when the store fails (gunicorn.conf.py sets it)
    PROXY_FIX_HOPS = 0

    OUTBOX_BATCH_SIZE = 50
    OUTBOX_POLL_SECONDS = 1.0
    OUTBOX_GIVE_UP_HOURS = 48
    OUTBOX_LEASE_SECONDS = 120  # a claimed message returns to the queue after this if its worker died
    OUTBOX_RECORD_RETRY_SECONDS = 30  # how long a worker waits for the database to record a sent message

    ADMIN_REQUIRE_TOTP = True
    ADMIN_IDLE_MINUTES = 30
    ADMIN_SESSION_HOURS = 12
    ADMIN_LOGIN_RATE_LIMIT = "10/minute;100/hour"
    ACCOUNT_LINK_HOURS = 72  # how long the one-time link to set up an account (or reset a factor) works
    QUEUE_PAGE_SIZE = 50
    FLAG_NETWORK_THRESHOLD = 20
    FLAG_DOMAIN_THRESHOLD = 50
    FLAG_WINDOW_HOURS = 24

    TRUSTED_HOSTS: list[str] | None = None  # None: the host of FLASK_SITE_URL outside debug/testing
    FORCE_HTTPS = False
    SECRET_KEY_FALLBACKS: list[str] = []
    PRIVACY_CONTACT: str | None = None  # None: the featured letter's contact address
    RETENTION_UNVERIFIED_DAYS = 7
    RETENTION_REJECTED_DAYS = 30
    RETENTION_CLIENT_HASH_DAYS = 30
    RETENTION_ADMIN_SESSION_DAYS = 30

    LETTER_PAGE_CACHE_SECONDS = 30  # the letter page (and its count) may be this old; 0 turns it off
    SIGNING_PAUSE_CACHE_SECONDS = 2  # a pause reaches every process within this time; 0 reads it every time
    PACK_PART_SIZE = 2000  # a delivery pack's PDF is laid out this many entries at a time (memory: BENCHMARKS.md)
    PACK_BUILD_LEASE_SECONDS = 3600  # a pack being made by a worker that died is made again after this
    STATS_CACHE_SECONDS = 60  # the operator's dashboard may be this old (it says so); 0 turns it off

    #: Origins (``https://partner.example``) whose pages may frame the embeddable sign form; none: no site.
    EMBED_ALLOWED_ORIGINS: list[str] = []

    PUBLIC_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=120, stale-if-error=600"
    MAX_CONTENT_LENGTH = 64 * 1024
    IMPORT_MAX_BYTES = 5 * 1024 * 1024  # a CSV uploaded by an admin to /admin/import
    METRICS_TOKEN = ""  # /metrics answers only requests that carry it (Authorization: Bearer …); empty: off

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None  # None: on when FLASK_SITE_URL is https, outside debug/testing


def configure(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """Defaults, then ``FLASK_*`` variables, then a test mapping; validated, or the start refuses."""
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "campaign.sqlite3")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database_engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        app.config["DATABASE_CONNECT_TIMEOUT"],
    )
    validate(app.config)
    fill_development_keys(app.config)
    apply_cookie_policy(app.config)
    apply_host_policy(app.config)


def database_engine_options(uri: str, base: dict, connect_timeout: int) -> dict:
    """Engine options that make an unreachable PostgreSQL fail fast instead of hanging a worker."""
    options = dict(base)
    if uri.startswith("postgresql"):
        connect_args = dict(options.get("connect_args", {}))
        connect_args.setdefault("connect_timeout", connect_timeout)
        options["connect_args"] = connect_args
    return options


def validate(config: dict) -> None:
    """Refuse configurations that would run unsafely or not at all."""
    relaxed = bool(config.get("DEBUG") or config.get("TESTING"))
    secret = config.get("SECRET_KEY")
    if not relaxed:
        if not secret or secret in KNOWN_WEAK_SECRETS:
            raise ConfigError(
                "No usable secret key. Set FLASK_SECRET_KEY to a long random value, for example "
                "the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if len(secret.encode()) < MINIMUM_SECRET_BYTES:
            raise ConfigError(
                f"FLASK_SECRET_KEY is shorter than {MINIMUM_SECRET_BYTES} bytes. Set a longer random "
                "value, for example: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )

    for name in ("EMAIL_HASH_KEY", "CLIENT_HASH_KEY"):
        value = config.get(name)
        if not relaxed and (not value or len(value.encode()) < MINIMUM_SECRET_BYTES):
            raise ConfigError(
                f"FLASK_{name} must be a random value of at least {MINIMUM_SECRET_BYTES} bytes, "
                "different from FLASK_SECRET_KEY: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if value and value == secret:
            raise ConfigError(f"FLASK_{name} must differ from FLASK_SECRET_KEY.")
    public_key = config.get("SEAL_PUBLIC_KEY")
    if public_key:
        try:
            parse_public_key(public_key)
        except (ValueError, TypeError) as error:
            raise ConfigError("FLASK_SEAL_PUBLIC_KEY is not a base64 Curve25519 public key.") from error
    elif not relaxed:
        raise ConfigError(
            "No FLASK_SEAL_PUBLIC_KEY: run `flask --app wsgi keys generate`, keep the private key offline "
            "and set FLASK_SEAL_PUBLIC_KEY to the public one."
        )
    _validate_signing_key(config.get("SNAPSHOT_SIGNING_KEY_FILE"))
    if not config.get("ADMIN_REQUIRE_TOTP") and not config.get("DEBUG"):
        raise ConfigError("FLASK_ADMIN_REQUIRE_TOTP may be turned off only in debug mode.")
    if config.get("MAIL_TRANSPORT") not in ("smtp", "console"):
        raise ConfigError('FLASK_MAIL_TRANSPORT must be "smtp" or "console".')
    if config.get("AUTO_PUBLISH") not in AUTO_PUBLISH_RULES:
        raise ConfigError('FLASK_AUTO_PUBLISH must be "none", "individuals" or "all-unflagged".')
    _validate_outbox(config)
    link_hours = config.get("ACCOUNT_LINK_HOURS")
    if not isinstance(link_hours, (int, float)) or isinstance(link_hours, bool) or not 0 < link_hours <= 24 * 14:
        raise ConfigError("FLASK_ACCOUNT_LINK_HOURS must be a number of hours, more than 0 and at most 336 (two weeks).")
    processes = config.get("RATELIMIT_FALLBACK_PROCESSES")
    if not isinstance(processes, int) or isinstance(processes, bool) or processes < 1:
        raise ConfigError("FLASK_RATELIMIT_FALLBACK_PROCESSES must be a whole number, at least 1.")

    languages = config.get("LANGUAGES")
    if not isinstance(languages, (list, tuple)) or not languages:
        raise ConfigError('FLASK_LANGUAGES must be a JSON list of language codes, e.g. ["en", "ar"].')
    for code in languages:
        if not isinstance(code, str) or not code.isalpha() or not code.islower():
            raise ConfigError(f"FLASK_LANGUAGES: {code!r} is not a lower-case language code such as 'en'.")
        try:
            Locale.parse(code)
        except (UnknownLocaleError, ValueError) as error:
            raise ConfigError(f"FLASK_LANGUAGES: Babel knows no locale {code!r}.") from error
        if code != "en":
            folders = [Path(folder) for folder in config["BABEL_TRANSLATION_DIRECTORIES"].split(";")]
            catalogues = [folder / code / "LC_MESSAGES" / "messages.mo" for folder in folders]
            if not any(catalogue.is_file() for catalogue in catalogues):
                raise ConfigError(
                    f"No compiled catalogue for {code!r} at {catalogues[0]}. Run `make translations` "
                    "or remove the language from FLASK_LANGUAGES."
                )
    if config.get("DEFAULT_LANGUAGE") not in languages:
        raise ConfigError("FLASK_DEFAULT_LANGUAGE must be one of FLASK_LANGUAGES.")

    fallbacks = config.get("SECRET_KEY_FALLBACKS") or []
    if not isinstance(fallbacks, list) or not all(isinstance(key, str) and key for key in fallbacks):
        raise ConfigError('FLASK_SECRET_KEY_FALLBACKS must be a JSON list of previous keys, e.g. ["old-key"].')
    _validate_embed_origins(config.get("EMBED_ALLOWED_ORIGINS"))
    trusted = config.get("TRUSTED_HOSTS")
    if trusted is not None and (not isinstance(trusted, list) or not all(isinstance(h, str) for h in trusted)):
        raise ConfigError('FLASK_TRUSTED_HOSTS must be a JSON list of host names, e.g. ["letter.example.org"].')
    if not isinstance(config.get("UPDATES_MIN_DAYS"), int) or config["UPDATES_MIN_DAYS"] < 0:
        raise ConfigError("FLASK_UPDATES_MIN_DAYS must be a whole number of days (0: no minimum).")
    for name in ("RETENTION_UNVERIFIED_DAYS", "RETENTION_REJECTED_DAYS", "RETENTION_CLIENT_HASH_DAYS"):
        if not isinstance(config.get(name), int) or config[name] < 1:
            raise ConfigError(f"FLASK_{name} must be a whole number of days, at least 1.")

    site_url = config.get("SITE_URL") or ""
    if not site_url.startswith(("http://", "https://")) or site_url.endswith("/"):
        raise ConfigError("FLASK_SITE_URL must be an absolute http(s) URL without a trailing slash.")
    if not relaxed and not site_url.startswith("https://") and not _is_loopback_url(site_url):
        raise ConfigError("FLASK_SITE_URL must use https:// in production.")
    if config.get("DEBUG") and not _is_loopback_url(site_url):
        raise ConfigError("Debug mode is for development only: unset FLASK_DEBUG when FLASK_SITE_URL is public.")


def _validate_signing_key(path: object) -> None:
    """If set, the snapshot signing key file must be readable and hold a key (never the seal key)."""
    if not path:
        return
    try:
        load_signing_key(Path(str(path)))
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"FLASK_SNAPSHOT_SIGNING_KEY_FILE: {path} is not a readable snapshot signing key ({error}); "
            "make one with `flask --app wsgi keys generate-signing --private-key-file PATH`."
        ) from error


def _validate_embed_origins(origins: object) -> None:
    """Each an origin exactly as browsers compare it: scheme, host and port, nothing else."""
    example = 'e.g. ["https://partner.example.org"]'
    if not isinstance(origins, list):
        raise ConfigError(f"FLASK_EMBED_ALLOWED_ORIGINS must be a JSON list of origins, {example}.")
    for origin in origins:
        if not isinstance(origin, str) or not re.fullmatch(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?", origin):
            raise ConfigError(f"FLASK_EMBED_ALLOWED_ORIGINS: {origin!r} is not an origin (a lower-case scheme, host and "
                              f"optional port, no path or trailing slash), {example}.")


def _validate_outbox(config: dict) -> None:
    for name in ("MAIL_TIMEOUT_SECONDS", "OUTBOX_LEASE_SECONDS", "OUTBOX_RECORD_RETRY_SECONDS", "OUTBOX_BATCH_SIZE",
                 "PACK_PART_SIZE", "PACK_BUILD_LEASE_SECONDS"):
        if not isinstance(config.get(name), (int, float)) or isinstance(config[name], bool) or config[name] <= 0:
            raise ConfigError(f"FLASK_{name} must be a positive number.")
    needed = config["MAIL_TIMEOUT_SECONDS"] + config["OUTBOX_RECORD_RETRY_SECONDS"]
    if config["OUTBOX_LEASE_SECONDS"] <= needed:
        raise ConfigError(
            "FLASK_OUTBOX_LEASE_SECONDS must be longer than FLASK_MAIL_TIMEOUT_SECONDS plus "
            f"FLASK_OUTBOX_RECORD_RETRY_SECONDS ({needed:g} s): a claim must outlast one send and its record."
        )
    reminder = config.get("CONFIRM_REMINDER_HOURS")
    if not isinstance(reminder, (int, float)) or isinstance(reminder, bool) or reminder < 0:
        raise ConfigError("FLASK_CONFIRM_REMINDER_HOURS must be a number of hours (0: no reminder).")
    if reminder and reminder >= min(config["CONFIRM_TOKEN_HOURS"], config["OUTBOX_GIVE_UP_HOURS"]):
        raise ConfigError(
            "FLASK_CONFIRM_REMINDER_HOURS must be shorter than FLASK_CONFIRM_TOKEN_HOURS and "
            "FLASK_OUTBOX_GIVE_UP_HOURS: the reminder carries the confirm link, and is sent before mail is given up."
        )


#: ``FLASK_AUTO_PUBLISH``: which confirmed signatures a rule publishes at once when they carry no
#: warning (see ``moderation.decisions.publish_by_rule``).
AUTO_PUBLISH_RULES = ("none", "individuals", "all-unflagged")

#: What ``make run`` sets besides the keys it writes: debug mode, its address, email printed.
DEVELOPMENT_DEFAULTS = {"FLASK_DEBUG": "1", "FLASK_SITE_URL": "http://127.0.0.1:5000"}


def load_development_settings(path: Path) -> bool:
    """Put the development settings of a checkout (``instance/development.env``, written by
    ``make run``) into the environment, unless production settings are set (``FLASK_SECRET_KEY``);
    a variable already set is kept. Email is printed unless a mail server is set. Returns whether
    they were loaded."""
    if os.environ.get("FLASK_SECRET_KEY") or not path.is_file():
        return False
    for name, value in {**DEVELOPMENT_DEFAULTS, **dotenv_values(path)}.items():
        if value is not None:
            os.environ.setdefault(name, value)
    if not os.environ.get("FLASK_MAIL_SERVER"):
        os.environ.setdefault("FLASK_MAIL_TRANSPORT", "console")
    return True


def fill_development_keys(config: dict) -> None:
    """In debug or testing, stand in random keys for any that are missing (never in production)."""
    if not (config.get("DEBUG") or config.get("TESTING")):
        return
    for name in ("SECRET_KEY", "EMAIL_HASH_KEY", "CLIENT_HASH_KEY"):
        if not config.get(name):
            config[name] = secrets.token_urlsafe(48)
    if not config.get("SEAL_PUBLIC_KEY"):
        config["SEAL_PUBLIC_KEY"] = generate_seal_keypair()[0]


def apply_host_policy(config: dict) -> None:
    """Answer only for the site's own host (Flask refuses others with 400) unless told otherwise."""
    if config.get("TRUSTED_HOSTS") is None and not (config.get("DEBUG") or config.get("TESTING")):
        host = config["SITE_URL"].split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
        config["TRUSTED_HOSTS"] = [host.strip("[]")]


def apply_cookie_policy(config: dict) -> None:
    """Secure cookies over HTTPS, with the ``__Host-`` prefix that pins them to this exact host."""
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = config["SITE_URL"].startswith("https://") and not (
            config.get("DEBUG") or config.get("TESTING")
        )
    if config["SESSION_COOKIE_SECURE"]:
        config["SESSION_COOKIE_NAME"] = "__Host-session"
        config["SESSION_COOKIE_DOMAIN"] = None
        config["SESSION_COOKIE_PATH"] = "/"


def _is_loopback_url(url: str) -> bool:
    host = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
    return host in {"127.0.0.1", "localhost", "[::1]"}
