"""No input crashes a page: arbitrary text and bytes in every route's parameters, on both databases.

A property-based sweep (hypothesis) over every rule of the URL map: path arguments, query
strings and form bodies filled with hostile values (NUL and control characters, non-ASCII digits,
numbers past any column's range, forged cursors, invalid UTF-8), as an anonymous reader and as a
logged-in admin. No answer may be a 5xx, and every API answer, error or not, is JSON.
"""

from __future__ import annotations

import base64
import json
import os
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .factories import log_in, make_admin, published

PARAMETER_NAMES = [
    "q", "country", "kind", "sort", "after", "before", "cursor", "direction", "limit", "lang", "status",
    "language", "action", "actor", "target_type", "target_id", "next", "saved", "ids", "decision", "reason",
    "role", "name", "organisation", "email", "website", "city", "comment", "consent_publish", "started",
    "nickname", "code", "password", "back", "csrf_token",
]


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


NASTY = st.sampled_from([
    "\x00", "a\x00b", "²", "١٢", "٣", "99999999999999999999", "2147483648", "-1", "0", "1e9", " 7 ", "\u202e",
    "\ud800", "\x1b[31m", "%00", "..", "../../etc/passwd", "ﬁ", "𝟘", "\u200b", "'; DROP TABLE signatures;--",
    _cursor(["a", 2 ** 63]), _cursor(["a", -5]), _cursor(["a\x00", 1]), _cursor(["9999-99-99", 1]),
    _cursor([["x"], 1]), _cursor(["2026-01-01T00:00:00", 10 ** 30]), _cursor({"a": 1}), "=" * 5, "A" * 5000,
])
VALUES = st.one_of(NASTY, st.text(max_size=40), st.integers().map(str))
RAW_BYTES = st.binary(max_size=40).map(lambda raw: quote(raw, safe=""))


def _paths(app, admin: bool) -> list[tuple[str, str, dict[str, str]]]:
    """(method, rule, converters) for every route this client may reach."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "admin.logout", "admin.account_sessions", "admin.account_active"):
            continue
        if rule.rule.startswith("/admin") != admin:
            continue
        converters = {name: type(converter).__name__ for name, converter in rule._converters.items()}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule, converters))
    return routes


def _path_value(draw, converter: str) -> str:
    if converter == "LanguageConverter":
        return draw(st.sampled_from(["en", "ar", "es"]))
    if converter == "IntegerConverter":
        return str(draw(st.one_of(st.integers(min_value=0, max_value=2 ** 70), st.just(1))))
    return draw(st.one_of(VALUES, RAW_BYTES, st.just("ban-biometric-surveillance"))) or "x"


@st.composite
def requests(draw, routes):
    method, rule, converters = draw(st.sampled_from(routes))
    path = rule
    for name, converter in converters.items():
        value = _path_value(draw, converter)
        raw = value if "%" in value and converter not in ("LanguageConverter", "IntegerConverter") else \
            quote(value.encode("utf-8", "surrogatepass"), safe="")
        path = re.sub(rf"<(?:[^:>]+:)?{name}>", lambda _, raw=raw: raw, path)
    fields = draw(st.dictionaries(st.one_of(st.sampled_from(PARAMETER_NAMES), st.text(max_size=6)), VALUES,
                                  max_size=5))
    raw_query = draw(st.one_of(st.just(""), RAW_BYTES.map(lambda raw: f"q={raw}&cursor={raw}&limit={raw}")))
    return method, path, fields, raw_query


def _encoded(fields: dict[str, str]) -> str:
    return urlencode({key.encode("utf-8", "surrogatepass"): value.encode("utf-8", "surrogatepass")
                      for key, value in fields.items()})


def _send(client, method: str, path: str, fields: dict[str, str], raw_query: str):
    query = "&".join(part for part in (_encoded(fields), raw_query) if part)
    if method == "GET":
        return client.get(f"{path}?{query}" if query else path)
    return client.post(path, data=_encoded(fields), content_type="application/x-www-form-urlencoded",
                       query_string=raw_query or None)


def _check(response, path: str) -> None:
    assert response.status_code < 500, f"{response.status_code} for {path}"
    if path.startswith("/api/") and not 300 <= response.status_code < 400:  # a redirect may be plain
        assert response.mimetype == "application/json", f"API answered {response.mimetype} for {path}"
        if response.status_code >= 400:
            body = response.json
            assert set(body) == {"error"} and set(body["error"]) == {"status", "message"}


SWEEP = settings(max_examples=int(os.environ.get("HOSTILE_EXAMPLES", 250)), deadline=None,
                 derandomize=not os.environ.get("HOSTILE_EXAMPLES"),
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                        HealthCheck.data_too_large])


@pytest.fixture
def hostile_app(app, db):
    app.config["WTF_CSRF_ENABLED"] = False  # reach the code behind the token check
    published(organisation="Listed Organisation")
    published(kind="individual", name="Listed Person")
    return app


def _sweep(client, routes) -> None:
    @SWEEP
    @given(requests(routes))
    def sweep(request):
        method, path, fields, raw_query = request
        _check(_send(client, method, path, fields, raw_query), path)

    sweep()


def test_no_anonymous_request_answers_5xx(hostile_app):
    _sweep(hostile_app.test_client(), _paths(hostile_app, admin=False))


def test_no_admin_request_answers_5xx(hostile_app, db):
    admin = make_admin("sweep@campaign.example", role="admin")
    client = hostile_app.test_client()
    hostile_app.config["WTF_CSRF_ENABLED"] = True
    assert log_in(client, admin).status_code == 302
    hostile_app.config["WTF_CSRF_ENABLED"] = False
    _sweep(client, _paths(hostile_app, admin=True))


# --- each defect of the fault campaign, as a plain example -----------------------------------

BASE = "/api/v1/letters/ban-biometric-surveillance"


@pytest.mark.parametrize("path", ["/en/signatories?q=a%00b", "/en/signatories.csv?q=%00", "/en/signatories?after=%00"])
def test_a_nul_byte_in_a_reader_parameter_is_a_400_before_any_byte_of_the_page(client, path):
    response = client.get(path)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "kind,name" not in response.get_data(as_text=True), "no CSV was started"


@pytest.mark.parametrize("path", ["/en/letters/%00", "/api/v1/letters/a%00b", "/embed/%00/counter",
                                  "/en/sign/confirm/%00", "/admin/signatures/99999999999999999999"])
def test_malformed_path_parts_match_no_route(client, path):
    assert client.get(path).status_code in (302, 404)  # the admin path first asks for a login


@pytest.mark.parametrize("query", ["limit=²", "limit=١٠", "limit=99999999999999999999", "q=%00", "cursor=%00"])
def test_api_parameters_no_person_sends_get_the_documented_json_400(client, query):
    response = client.get(f"{BASE}/signatories?{query}")
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert set(response.json["error"]) == {"status", "message"}


@pytest.mark.parametrize("position", [["Org", 2 ** 40], ["Org", -1], ["Org", "1"], ["Org\x00", 1], [1, 1], {"a": 1}])
def test_a_forged_cursor_is_no_position_at_all(client, db, position):
    published(organisation="Org")
    for path in (f"{BASE}/signatories?cursor=", "/en/signatories?kind=organisation&after="):
        response = client.get(path + _cursor(position))
        assert response.status_code == 200 and "Org" in response.get_data(as_text=True)


def test_every_api_error_is_json_even_a_missing_route_and_an_unexpected_failure(app, client, monkeypatch):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json["error"]["status"] == 404
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*args, **kwargs):
        raise RuntimeError("an unforeseen failure")

    monkeypatch.setattr("campaign.publication.counts.counts", broken)
    failed = client.get(BASE)
    assert failed.status_code == 500 and failed.json == {"error": {"status": 500, "message": failed.json["error"]["message"]}}
    assert failed.headers["Access-Control-Allow-Origin"] == "*"


def test_admin_parameters_no_person_sends_are_refused_or_ignored(app, client, db):
    admin = make_admin("params@campaign.example", role="admin")
    assert log_in(client, admin).status_code == 302
    assert client.get("/admin/audit?target_id=²").status_code == 400
    assert client.get("/admin/?after=99999999999999").status_code == 400
    assert client.get("/admin/?q=%00").status_code == 400
    assert client.get("/admin/signatures/2147483648").status_code == 404
