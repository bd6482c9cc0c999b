"""Health check and failure pages: up, database down, unexpected errors."""

from __future__ import annotations

import pytest

from campaign import create_app

from .factories import TEST_CONFIG, translated

UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-directory/for/tests/db.sqlite3",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:9/test",
}


def test_health_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "up"}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture(params=sorted(UNREACHABLE))
def broken_app(request):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": UNREACHABLE[request.param]})


def test_health_down(broken_app):
    response = broken_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "down"}
    assert response.headers["Retry-After"]


@pytest.mark.parametrize("code", ["es", "ar"])
def test_pages_answer_503_in_the_visitor_language_when_the_database_is_down(broken_app, code):
    response = broken_app.test_client().get(f"/{code}/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    html = response.get_data(as_text=True)
    expected = translated(broken_app, code, "Temporarily unavailable")
    assert expected != "Temporarily unavailable" and f"<h1>{expected}</h1>" in html


@pytest.mark.parametrize("code", ["es", "ar"])
def test_unexpected_errors_get_a_generic_500_page_in_the_visitor_language(app, code):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode():
        raise RuntimeError("boom")

    app.add_url_rule(f"/{code}/explode", "explode", explode)
    response = app.test_client().get(f"/{code}/explode")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    expected = translated(app, code, "Something went wrong")
    assert expected != "Something went wrong" and f"<h1>{expected}</h1>" in html
    assert "boom" not in html and "Traceback" not in html
