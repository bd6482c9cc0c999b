"""Flask extensions, created unbound here and bound to an app in ``create_app``."""

import logging

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits import parse, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase

from .logs import security_event

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def upsert(table):
    """An INSERT for the session's database that can take ``on_conflict_do_update``: both
    PostgreSQL and SQLite have ``ON CONFLICT``, each through its own dialect's construct."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)
migrate = Migrate()
mail = Mail()
babel = Babel()
csrf = CSRFProtect()


def _log_limit_breach(request_limit) -> None:
    security_event("rate_limit.tripped", endpoint=request.endpoint, limit=str(request_limit.limit))


limiter = Limiter(key_func=get_remote_address, on_breach=_log_limit_breach)


@limiter.request_filter
def _reading_is_not_limited() -> bool:
    """Every limit guards a submission (signing, renewing a link, logging in); reads skip the
    limiter's bookkeeping, which costs a cached page more than the page itself."""
    return request.method in ("GET", "HEAD", "OPTIONS")


login_manager = LoginManager()

#: Counts for whoever asks while the shared store cannot be reached (and Flask-Limiter has not
#: noticed yet): local to the process, like Flask-Limiter's own fallback.
_local_counts = FixedWindowRateLimiter(MemoryStorage())


def _counting_alone() -> bool:
    """Whether limits are counted in this process's memory because the shared store failed."""
    return limiter.limiter.storage is not limiter.storage


def _share_cost(limits: str) -> int:
    """What one request costs while each process counts alone: with N processes behind one address
    each process lets through at most 1/N of each limit, so together they stay within it. A limit
    smaller than N still lets one request through per process."""
    processes = current_app.config["RATELIMIT_FALLBACK_PROCESSES"]
    smallest = min(item.amount for item in parse_many(limits))
    return max(1, min(processes, smallest))


def limit_cost(setting: str):
    """The ``cost`` of a route limited by the setting ``setting``: 1 while the shared store works,
    the process's share (above) while it is down."""

    def cost() -> int:
        return _share_cost(current_app.config[setting]) if _counting_alone() else 1

    return cost


def hit(limit: str, *keys: str) -> bool:
    """Count one event against ``limit`` (e.g. emails to one address) in the shared store, or in
    this process's memory, at its share, when the store is down: never without a limit."""
    item = parse(limit)
    try:
        if not _counting_alone():
            return limiter.limiter.hit(item, *keys)
    except Exception:  # noqa: BLE001  (any failure of the store means: count alone)
        logger.warning("rate-limit store unavailable; counting in this process at its share")
    return _local_counts.hit(item, *keys, cost=_share_cost(limit))


def bind_limiter(app) -> None:
    """Bind the shared limiter to ``app`` with this app's own settings.

    Flask-Limiter keeps its first app's key prefix and a "storage is dead" flag on the instance;
    when one process builds several apps (tests, scripts), each must start from its own config.
    """
    limiter._key_prefix = ""
    limiter._storage_dead = False
    limiter.init_app(app)
