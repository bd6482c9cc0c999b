"""Flask extensions, created unbound here and bound to an app in ``create_app``. (The rate limiter
is made per app: see ``web.limits``.)"""

from typing import TYPE_CHECKING, ClassVar

from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:  # every model maps a table (``DeclarativeBase`` allows any ``FromClause``)
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # ``db.Model`` is ``Base`` remade at run time with Flask-SQLAlchemy's mixins, held in an attribute mypy
    # cannot take a base class from; models subclass ``Model``, typed as ``Base`` (same registry and metadata).
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
mail = Mail()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def upsert(table: Table | type[Base], dialect: str | None = None) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for the session's database (or the ``dialect`` named) that can take ``ON CONFLICT``:
    PostgreSQL and SQLite both have it, each through its own dialect's construct."""
    dialect = dialect or db.session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)
