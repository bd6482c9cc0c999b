"""An open-letter signature campaign platform."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, logs
from .config import PROJECT_ROOT, configure
from .extensions import csrf, db, mail, migrate
from .views import (
    admin,
    api,
    embed,
    embed_sign,
    errors,
    labels,
    letter,
    manage,
    ops,
    pages,
    partner_page,
    share,
    sign,
    signatories,
    timeline,
    updates,
    versions,
)
from .views import snapshots as snapshot_pages
from .views.admin import imports as admin_imports
from .web import assets, forms, headers, i18n, limits, metrics, parameters
from .web.replay import ReplayMiddleware

READER_PAGES = "/<lang:lang>"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure(app, test_config)
    logs.init_app(app)

    # Wrapping ``wsgi_app`` is Flask's documented way to add middleware; Flask types it as a method.
    app.wsgi_app = app.extensions["replay"] = ReplayMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    headers.init_app(app)  # first: plain HTTP is redirected before CSRF checks and limits
    db.init_app(app)
    with app.app_context():
        configure_sqlite_connections(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    mail.init_app(app)
    # App-wide and before the CSRF check reads the body: a hook of the admin blueprint would run after it.
    app.before_request(admin_imports.allow_uploads)
    csrf.init_app(app)
    app.url_map.converters.update(parameters.CONVERTERS)
    i18n.init_app(app)
    assets.init_app(app)
    forms.init_app(app)
    labels.init_app(app)
    admin.init_app(app)
    metrics.init_app(app)

    for blueprint, prefix in (
        (letter.root, None),
        (letter.bp, READER_PAGES),
        (sign.bp, READER_PAGES),
        (signatories.bp, READER_PAGES),
        (manage.bp, READER_PAGES),
        (pages.bp, READER_PAGES),
        (timeline.bp, READER_PAGES),
        (versions.bp, READER_PAGES),
        (updates.bp, READER_PAGES),
        (share.bp, READER_PAGES),
        (partner_page.bp, READER_PAGES),
        (snapshot_pages.bp, READER_PAGES),
        (snapshot_pages.well_known, None),
        (timeline.files, None),
        (api.bp, None),
        (embed.bp, None),
        (embed_sign.bp, None),
        (ops.bp, None),
        (admin.bp, None),
    ):
        app.register_blueprint(blueprint, url_prefix=prefix)
    errors.init_app(app)
    limits.init_app(app)  # after the blueprints: it puts each limit on its view

    cli.init_app(app)
    return app


def configure_sqlite_connections(engine: Engine) -> None:
    """SQLite ignores ON DELETE rules unless each connection asks for them; and in its default
    journal a long read (a delivery pack reads its one snapshot of the list for a minute) keeps every
    writer out, so signatures, mail and moderation wait and fail with "database is locked". Its
    write-ahead log lets readers and one writer go on side by side, each reader on its snapshot."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")  # kept in the file; an in-memory database keeps its own
        cursor.close()
