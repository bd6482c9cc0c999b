"""Endpoints for operators and load balancers."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        response = jsonify(status="unavailable", database="down")
        response.status_code = 503
        response.headers["Retry-After"] = "10"
    else:
        response = jsonify(status="ok", database="up")
    response.headers["Cache-Control"] = "no-store"
    return response
