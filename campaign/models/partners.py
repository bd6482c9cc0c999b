"""Coalition partners, credited with the signatures that came through their links."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import UTCDateTime, utcnow


class Partner(Model):
    """A member of the coalition sharing the letter with its own audience.

    ``code`` is what its links carry (``?via=<code>``), recorded on each signature that came
    through them: nothing else of where a signer came from is kept. ``page_token_hash`` is the
    hash of the unguessable link to the partner's own counts page; revoking it clears it."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    page_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("admin_users.id", ondelete="SET NULL"))
