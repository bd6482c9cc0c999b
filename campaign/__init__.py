"""An open-letter signature campaign platform."""

from __future__ import annotations

import os
from typing import Any, Mapping

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from .cli import admin as admin_cli, operations as cli
from .web import forms, i18n, parameters
from . import logs, security
from .config import (
    PROJECT_ROOT,
    DefaultConfig,
    apply_cookie_policy,
    apply_host_policy,
    database_engine_options,
    fill_development_keys,
    validate,
)
from .extensions import bind_limiter, csrf, db, mail, migrate
from .web.replay import ReplayMiddleware


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "campaign.sqlite3")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database_engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"],
        app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        app.config["DATABASE_CONNECT_TIMEOUT"],
    )
    validate(app.config)
    fill_development_keys(app.config)
    apply_cookie_policy(app.config)
    apply_host_policy(app.config)
    logs.init_app(app)

    app.wsgi_app = app.extensions["replay"] = ReplayMiddleware(app.wsgi_app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    with app.app_context():
        enforce_sqlite_foreign_keys(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    mail.init_app(app)
    csrf.init_app(app)
    bind_limiter(app)
    app.url_map.converters.update(parameters.CONVERTERS)
    i18n.init_app(app)
    forms.init_app(app)

    from .views import admin, api, errors, ops, public, self_service, sign, signatories  # noqa: F401  (public.bp)

    app.register_blueprint(public.root)
    app.register_blueprint(public.bp, url_prefix="/<lang:lang>")
    app.register_blueprint(ops.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api.embed)
    admin.init_app(app)
    errors.init_app(app)

    security.init_app(app)
    cli.init_app(app)
    admin_cli.init_app(app)
    return app


def enforce_sqlite_foreign_keys(engine: Engine) -> None:
    """SQLite ignores ON DELETE rules unless each connection asks for them."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
