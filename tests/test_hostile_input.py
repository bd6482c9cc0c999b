"""No input crashes a page: arbitrary text and bytes in every route's parameters, on both databases.

A property-based sweep (hypothesis) over every rule of the URL map, a fixed number of examples for
each route and method: path arguments, query strings, form bodies and multipart uploads filled with
hostile values (NUL and control characters, non-ASCII digits, numbers past any column's range,
forged cursors, invalid UTF-8, broken CSV files), with tampered cookies (a session cookie that is
garbage, or signed with the app's key but holding hostile values), as an anonymous reader and as a
logged-in admin. No answer may be a 5xx, and every API answer, error or not, is JSON.

The parameter names come from the app itself, never from a list kept here: every field of every
form class, and every name the code reads through ``campaign/web/parameters.py`` or straight from
``request.args``, ``request.form`` or the session (found in its source, see ``names_the_app_reads``).
The app has no cookie of its own besides Flask's session (no language cookie: the language is in
the address), so the session is what is tampered with, beside a few cookies it never set.
"""

from __future__ import annotations

import ast
import base64
import csv
import importlib
import io
import json
import os
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
import wtforms
from flask_wtf.file import FileField
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

import campaign
from campaign.signing.fields import IMPORT_COLUMNS

from .factories import log_in, make_admin, published

#: The helpers of ``campaign/web/parameters.py`` that read a named parameter (its name the second argument).
PARAMETER_READERS = {"text", "number", "moment", "record_id", "choice", "lenient_choice", "sealed"}
#: What a request's values are read from, straight: ``request.args.get("next")``, ``"status" in args``.
READ_FROM = {"args", "form", "values", "cookies", "files", "formdata", "typed", "session"}
#: The session key a library reads and hands to the app's own code (Flask-Login gives ``_user_id``
#: to the app's user loader). The libraries' other keys (``_fresh``, ``csrf_token``, ``_flashes``)
#: are theirs to read: a session signed with our key holding nonsense there is their concern.
LIBRARY_SESSION_KEYS = ("_user_id",)


def _modules():
    for info in pkgutil.walk_packages(campaign.__path__, "campaign."):
        yield importlib.import_module(info.name)


def _constant(node: ast.expr, module) -> str | None:
    """A string literal, or a module-level constant naming one (``REPLACES``, ``carry.TARGET``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, (ast.Name, ast.Attribute)):
        try:
            value = eval(compile(ast.Expression(node), module.__name__, "eval"), vars(module))  # a name, looked up
        except Exception:  # noqa: BLE001  (a local variable, not a constant)
            return None
        return value if isinstance(value, str) else None
    return None


def _source_of_reads(receiver: ast.expr) -> str | None:
    """Which of ``READ_FROM`` an expression reads (``request.form``, ``args``, ``session``), if any."""
    name = receiver.attr if isinstance(receiver, ast.Attribute) else receiver.id if isinstance(receiver, ast.Name) else None
    return name if name in READ_FROM else None


def names_the_app_reads() -> tuple[set[str], set[str]]:
    """(request parameter names, session keys) the app's source reads, found by walking it."""
    parameters, session_keys = set(), set()
    for module in _modules():
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name, source = None, None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = node.func.value
                if node.func.attr in PARAMETER_READERS and isinstance(receiver, ast.Name) \
                        and receiver.id == "parameters" and len(node.args) >= 2:
                    name, source = _constant(node.args[1], module), "args"
                elif node.func.attr in ("get", "getlist", "pop") and node.args:
                    name, source = _constant(node.args[0], module), _source_of_reads(receiver)
            elif isinstance(node, ast.Subscript):
                name, source = _constant(node.slice, module), _source_of_reads(node.value)
            elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
                name, source = _constant(node.left, module), _source_of_reads(node.comparators[0])
            if name is None or source is None:
                continue
            (session_keys if source == "session" else parameters).add(name)
    return parameters, session_keys


def form_fields() -> tuple[set[str], set[str]]:
    """(every field name of every form class, the names of its file fields)."""
    names, files = set(), set()
    for module in _modules():
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, wtforms.Form) and value.__module__ == module.__name__:
                for name in dir(value):
                    field = getattr(value, name, None)
                    if isinstance(field, UnboundField):
                        names.add(name)
                        if issubclass(field.field_class, FileField):
                            files.add(name)
    return names, files


READ_NAMES, SESSION_KEYS = names_the_app_reads()
FORM_FIELDS, FILE_FIELDS = form_fields()
PARAMETER_NAMES = sorted(READ_NAMES | FORM_FIELDS)
SESSION_KEYS = sorted(SESSION_KEYS | set(LIBRARY_SESSION_KEYS))


def test_the_sweep_knows_the_names_the_app_reads():
    """The introspection finds what it must (a guard against a walk that silently finds nothing)."""
    for name in ("q", "cursor", "limit", "since", "after", "next", "replaces", "letter", "action", "via", "email",
                 "organisation", "consent_publish", "started", "code", "ids", "decision", "file", "content"):
        assert name in PARAMETER_NAMES, name
    assert "file" in FILE_FIELDS and {"just_submitted", "partner_new_link"} <= set(SESSION_KEYS)


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


NASTY = st.sampled_from([
    "\x00", "a\x00b", "²", "١٢", "٣", "99999999999999999999", "2147483648", "-1", "0", "1e9", " 7 ", "\u202e",
    "\ud800", "\x1b[31m", "%00", "..", "../../etc/passwd", "ﬁ", "𝟘", "\u200b", "'; DROP TABLE signatures;--",
    _cursor(["a", 2 ** 63]), _cursor(["a", -5]), _cursor(["a\x00", 1]), _cursor(["9999-99-99", 1]),
    _cursor([["x"], 1]), _cursor(["2026-01-01T00:00:00", 10 ** 30]), _cursor({"a": 1}), "=" * 5, "A" * 5000,
])
#: Values a form would take, so that a request gets past its first check and deeper into the code.
PLAUSIBLE = st.sampled_from([
    "ban-biometric-surveillance", "organisation", "individual", "en", "ar", "1", "y", "approve", "reject", "admin",
    "moderator", "someone@example.org", "jörg@straße.de", "2026-11-30T12:00:00Z", "close-now", "reopen",
])
VALUES = st.one_of(NASTY, PLAUSIBLE, st.text(max_size=40), st.integers().map(str))
RAW_BYTES = st.binary(max_size=40).map(lambda raw: quote(raw, safe=""))


@st.composite
def csv_files(draw) -> bytes:
    """An import file: the columns it takes (some), rows of hostile cells, in UTF-8 or not."""
    columns = draw(st.lists(st.sampled_from([*IMPORT_COLUMNS, "x"]), max_size=len(IMPORT_COLUMNS) + 1))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for _ in range(draw(st.integers(0, 3))):
        writer.writerow([draw(VALUES) for _ in columns])
    text = out.getvalue().encode("utf-8", "surrogatepass")
    return draw(st.sampled_from([text, b"\xef\xbb\xbf" + text, text.replace(b",", b"\xff,", 1)]))


UPLOADS = st.one_of(csv_files(), st.binary(max_size=200),
                    st.sampled_from([b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, b"%PDF-1.4\n", b"\xff\xd8\xff\xe0"]))


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    converters: tuple[tuple[str, str], ...]


def _routes(app, admin: bool) -> list[Route]:
    """Every route and method this client may reach."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "admin.logout", "admin.account_sessions", "admin.account_active"):
            continue
        if rule.rule.startswith("/admin") != admin:
            continue
        converters = tuple((name, type(converter).__name__) for name, converter in rule._converters.items())
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append(Route(method, rule.rule, converters))
    return routes


def _path_value(draw, converter: str) -> str:
    if converter == "LanguageConverter":
        return draw(st.sampled_from(["en", "ar", "es"]))
    if converter in ("IntegerConverter", "IdConverter", "CountConverter"):
        return str(draw(st.one_of(st.integers(min_value=0, max_value=2 ** 70), st.just(1))))
    return draw(st.one_of(VALUES, RAW_BYTES, st.just("ban-biometric-surveillance"))) or "x"


@dataclass(frozen=True)
class HostileRequest:
    method: str
    path: str
    fields: dict
    raw_query: str
    uploads: dict  # file field name -> (content, filename, content type); sent as multipart when any
    cookie: tuple | None  # ("garbage", text) or ("signed", {key: value}) or ("other", (name, value))


def _session_values():
    return st.one_of(VALUES, st.integers(), st.none(), st.lists(VALUES, max_size=3),
                     st.dictionaries(VALUES, VALUES, max_size=2), st.tuples(VALUES, VALUES))


COOKIES = st.one_of(
    st.none(), st.none(),
    st.tuples(st.just("garbage"), st.one_of(VALUES, RAW_BYTES)),
    st.tuples(st.just("signed"), st.dictionaries(st.sampled_from(SESSION_KEYS), _session_values(), min_size=1,
                                                  max_size=3)),
    st.tuples(st.just("other"), st.tuples(st.sampled_from(["lang", "locale", "language", "remember_token"]), VALUES)),
)


@st.composite
def requests_to(draw, route: Route) -> HostileRequest:
    path = route.rule
    for name, converter in route.converters:
        value = _path_value(draw, converter)
        raw = value if "%" in value and converter not in ("LanguageConverter", "IntegerConverter") else \
            quote(value.encode("utf-8", "surrogatepass"), safe="")
        path = re.sub(rf"<(?:[^:>]+:)?{name}>", lambda _, raw=raw: raw, path)
    fields = draw(st.dictionaries(st.one_of(st.sampled_from(PARAMETER_NAMES), st.text(max_size=6)),
                                  st.one_of(VALUES, csv_files().map(lambda raw: raw.decode("utf-8", "replace"))),
                                  max_size=6))
    raw_query = draw(st.one_of(st.just(""), RAW_BYTES.map(lambda raw: f"q={raw}&cursor={raw}&limit={raw}")))
    uploads = {}
    if route.method == "POST" and draw(st.booleans()):
        names = draw(st.lists(st.one_of(st.sampled_from(sorted(FILE_FIELDS)), st.text(max_size=6)), min_size=1,
                              max_size=2, unique=True))
        uploads = {name: (draw(UPLOADS), draw(st.one_of(st.just("signatories.csv"), VALUES)),
                          draw(st.sampled_from(["text/csv", "application/octet-stream", "image/png", "", "x/\x00"])))
                   for name in names}
    return HostileRequest(route.method, path, fields, raw_query, uploads, draw(COOKIES))


def _bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def _multipart(value: str) -> str:
    """Text as a multipart body carries it: UTF-8, where a lone surrogate cannot travel (replaced)."""
    return _bytes(value).decode("utf-8", "replace")


def _encoded(fields: dict[str, str]) -> str:
    return urlencode({_bytes(key): _bytes(value) for key, value in fields.items()})


def _cookie_header(app, cookie: tuple | None, logged_in: dict) -> str | None:
    """The ``Cookie`` header of a tampered request (None: the client's own cookies)."""
    if cookie is None:
        return None
    kind, value = cookie
    name = app.config["SESSION_COOKIE_NAME"]
    if kind == "garbage":
        return f"{name}={quote(_bytes(value), safe='') if '%' not in value else value}"
    if kind == "signed":  # as if the key were known: the app must not trust what it signed blindly either
        serializer = app.session_interface.get_signing_serializer(app)
        return f"{name}={serializer.dumps({**logged_in, **value})}"
    other, text = value
    return f"{other}={quote(_bytes(text), safe='')}"


def _send(app, client, bare_client, request: HostileRequest, logged_in: dict):
    cookie = _cookie_header(app, request.cookie, logged_in)
    sender, headers = (client, None) if cookie is None else (bare_client, {"Cookie": cookie})
    query = "&".join(part for part in (_encoded(request.fields), request.raw_query) if part)
    if request.method == "GET":
        return sender.get(f"{request.path}?{query}" if query else request.path, headers=headers)
    if request.uploads:
        data = {_multipart(key): _multipart(value) for key, value in request.fields.items()}
        for name, (content, filename, content_type) in request.uploads.items():
            data[_multipart(name)] = (io.BytesIO(content), _multipart(filename), _multipart(content_type))
        return sender.post(request.path, data=data, content_type="multipart/form-data", headers=headers,
                           query_string=request.raw_query or None)
    return sender.post(request.path, data=_encoded(request.fields), content_type="application/x-www-form-urlencoded",
                       query_string=request.raw_query or None, headers=headers)


def _check(response, path: str) -> None:
    assert response.status_code < 500, f"{response.status_code} for {path}"
    if path.startswith("/api/") and not 300 <= response.status_code < 400:  # a redirect may be plain
        assert response.mimetype == "application/json", f"API answered {response.mimetype} for {path}"
        if response.status_code >= 400:
            body = response.json
            assert set(body) == {"error"} and set(body["error"]) == {"status", "message"}


#: Examples for each route and method (HOSTILE_EXAMPLES=200 for a long run, then random rather than
#: the same examples each time).
EXAMPLES_PER_ROUTE = int(os.environ.get("HOSTILE_EXAMPLES", 12))
SWEEP = settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None,
                 derandomize=not os.environ.get("HOSTILE_EXAMPLES"),
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                        HealthCheck.data_too_large, HealthCheck.filter_too_much])


@pytest.fixture
def hostile_app(app, db):
    app.config["WTF_CSRF_ENABLED"] = False  # reach the code behind the token check
    published(organisation="Listed Organisation")
    published(kind="individual", name="Listed Person")
    return app


def _session_of(app, client) -> dict:
    """What the client's session cookie holds (the logged-in admin's), to add hostile keys to."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value)) if cookie else {}


def _sweep(app, client, routes: list[Route]) -> None:
    """``EXAMPLES_PER_ROUTE`` hostile requests to each route; every route's failure is reported."""
    logged_in = _session_of(app, client)
    bare_client = app.test_client(use_cookies=False)
    failures = []
    for route in routes:
        @SWEEP
        @given(requests_to(route))
        def sweep(request):
            _check(_send(app, client, bare_client, request, logged_in), request.path)

        try:
            sweep()
        except Exception as error:  # noqa: BLE001  (a 5xx, or an exception the test app lets through)
            found = error.exceptions if isinstance(error, ExceptionGroup) else [error]
            failures.extend(f"{route.method} {route.rule}: {type(each).__name__}: {each}\n  " +
                            "\n  ".join(getattr(each, "__notes__", [])) for each in found)
    assert not failures, "\n".join(failures)


def test_no_anonymous_request_answers_5xx(hostile_app):
    _sweep(hostile_app, hostile_app.test_client(), _routes(hostile_app, admin=False))


def test_no_admin_request_answers_5xx(hostile_app, db):
    admin = make_admin("sweep@campaign.example", role="admin")
    client = hostile_app.test_client()
    hostile_app.config["WTF_CSRF_ENABLED"] = True
    assert log_in(client, admin).status_code == 302
    hostile_app.config["WTF_CSRF_ENABLED"] = False
    _sweep(hostile_app, client, _routes(hostile_app, admin=True))


def test_no_upload_to_the_admin_import_answers_5xx(hostile_app, db):
    """The import's own form filled in (the letter chosen, a file sent), so that every file reaches
    the CSV reader: broken UTF-8, a BOM, missing or unknown columns, hostile cells; then the preview
    sent back to be imported, as its confirm button would."""
    client = hostile_app.test_client()
    hostile_app.config["WTF_CSRF_ENABLED"] = True
    assert log_in(client, make_admin("importer@campaign.example", role="admin")).status_code == 302
    hostile_app.config["WTF_CSRF_ENABLED"] = False

    @settings(SWEEP, max_examples=EXAMPLES_PER_ROUTE * 8)  # one route: the examples of eight
    @given(UPLOADS, st.one_of(st.just("signatories.csv"), VALUES))
    def upload(content, filename):
        preview = client.post("/admin/import", content_type="multipart/form-data", data={
            "letter": "ban-biometric-surveillance", "file": (io.BytesIO(content), _multipart(filename), "text/csv")})
        _check(preview, "/admin/import")
        assert preview.status_code in (200, 422)
        confirm = client.post("/admin/import/confirm", data={
            "letter": "ban-biometric-surveillance", "content": content.decode("utf-8", "replace"),
            "source_name": _multipart(filename)})
        _check(confirm, "/admin/import/confirm")

    upload()


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


def test_a_multipart_part_with_an_unreadable_name_is_no_field(app, client, db):
    """Werkzeug reads a part named with a line break as a field named None: the login form, and an
    admin form carried through the login, leave it out instead of answering 500."""
    app.config["WTF_CSRF_ENABLED"] = False

    def data():
        return {"email": "nobody@campaign.example", "\n": (io.BytesIO(b"x"), "a.csv", "text/csv")}

    assert client.post("/admin/login", data=data(), content_type="multipart/form-data").status_code < 500
    assert client.post("/admin/signing", data=data(), content_type="multipart/form-data").status_code < 500
