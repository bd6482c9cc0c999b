"""The JSON API answers as its OpenAPI document says; the embeddable counter may be framed."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .factories import LANGUAGES, make_signature, published, translated

BASE = "/api/v1/letters/ban-biometric-surveillance"


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").json


def check(document: dict, response, schema: str) -> None:
    """The response body is valid against the named component schema of the OpenAPI document."""
    registry = Registry().with_resource("urn:openapi", Resource.from_contents(document, default_specification=DRAFT202012))
    validator = Draft202012Validator({"$ref": f"urn:openapi#/components/schemas/{schema}"}, registry=registry)
    errors = sorted(validator.iter_errors(response.json), key=str)
    assert errors == [], errors[0].message if errors else ""


def test_the_openapi_document_is_valid(document):
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/letters/{slug}", "/letters/{slug}/signatories", "/letters/{slug}/history",
                                     "/letters/{slug}/timeline", "/letters/{slug}/versions",
                                     "/letters/{slug}/changes", "/letters/{slug}/snapshots",
                                     "/letters/{slug}/snapshots/{number}",
                                     "/letters/{slug}/entries/{public_id}/proof"}


def test_letter_answers_as_documented(app, client, db, document):
    published(organisation="Org EG", country="EG")
    published(kind="individual", name="Named", country="EG")
    published(kind="individual", name="Unnamed", country="PE", consent_publish=False)
    response = client.get(BASE)
    check(document, response, "Letter")
    body = response.json
    assert body["slug"] == "ban-biometric-surveillance" and body["languages"] == sorted(LANGUAGES)
    assert body["title"]["en"].startswith("Open letter calling for a global ban")
    assert body["counts"]["total"] == 3 and body["counts"]["individuals_unnamed"] == 1
    assert {"country": "EG", "organisations": 1, "individuals": 1} in body["counts"]["by_country"]


def test_signatories_answer_as_documented_with_public_fields_only(app, client, db, document):
    published(organisation="Public Org", name="Contact Person", email="c@private.example", comment="private",
              website="https://public.example")
    published(kind="individual", name="Unnamed Person", consent_publish=False)
    organisations = client.get(f"{BASE}/signatories")
    check(document, organisations, "SignatoryPage")
    [entry] = organisations.json["data"]
    assert entry == {"kind": "organisation", "name": None, "organisation": "Public Org", "role": None, "country": "BR",
                     "website": "https://public.example", "drafter": False, "published_on": entry["published_on"],
                     "verified": False, "public_id": entry["public_id"]}
    assert len(entry["public_id"]) == 32 and int(entry["public_id"], 16) >= 0
    text = organisations.get_data(as_text=True) + client.get(f"{BASE}/signatories?kind=individual").get_data(as_text=True)
    for private in ("Contact Person", "private.example", "private", "Unnamed Person"):
        assert private not in text


def test_cursor_pagination_and_filters(app, client, db, document):
    for number in range(7):
        published(organisation=f"Org {number}", country="AR" if number % 2 else "CL")
    first = client.get(f"{BASE}/signatories?limit=3")
    check(document, first, "SignatoryPage")
    assert [e["organisation"] for e in first.json["data"]] == ["Org 0", "Org 1", "Org 2"]
    assert first.json["prev_cursor"] is None
    second = client.get(f"{BASE}/signatories?limit=3&cursor={first.json['next_cursor']}")
    assert [e["organisation"] for e in second.json["data"]] == ["Org 3", "Org 4", "Org 5"]
    assert second.json["links"]["next"].startswith("https://campaign.example/api/v1/")
    back = client.get(f"{BASE}/signatories?limit=3&direction=prev&cursor={second.json['prev_cursor']}")
    assert [e["organisation"] for e in back.json["data"]] == ["Org 0", "Org 1", "Org 2"]
    chile = client.get(f"{BASE}/signatories?country=CL&q=org")
    assert [e["organisation"] for e in chile.json["data"]] == ["Org 0", "Org 2", "Org 4", "Org 6"]


@pytest.mark.parametrize("query", ["kind=robot", "sort=size", "country=XX", "limit=0", "limit=501", "limit=abc",
                                   "direction=sideways"])
def test_bad_parameters_get_a_documented_400(client, document, query):
    response = client.get(f"{BASE}/signatories?{query}")
    assert response.status_code == 400
    check(document, response, "Error")


def test_unknown_letter_gets_a_documented_404(client, document):
    for path in ("/api/v1/letters/nope", "/api/v1/letters/nope/signatories", "/api/v1/letters/nope/history"):
        response = client.get(path)
        assert response.status_code == 404
        check(document, response, "Error")


def test_history_answers_as_documented(app, client, db, document):
    published(organisation="A")
    published(organisation="B")
    response = client.get(f"{BASE}/history")
    check(document, response, "History")
    [today] = response.json["data"]
    assert today["published"] == 2 and today["cumulative"] == 2


@pytest.mark.parametrize("path", [BASE, f"{BASE}/signatories", f"{BASE}/history", f"{BASE}/timeline", f"{BASE}/versions",
                                  "/api/v1/openapi.json"])
def test_api_is_open_cacheable_and_cookieless(app, client, db, path):
    response = client.get(path, headers={"Origin": "https://partner.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"].startswith("public, max-age=60")
    assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("lang", ["ar", "es"])
def test_embed_counter_in_the_requested_language_and_frameable(app, client, db, lang):
    published(organisation="Counted Org")
    make_signature(status="verified")
    response = client.get(f"/embed/ban-biometric-surveillance/counter?lang={lang}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}"' in html and '<p class="counter__figure">1</p>' in html
    assert translated(app, lang, "Sign the letter") in html
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers


def test_every_other_page_refuses_framing(client):
    for path in ("/en/", "/en/signatories", "/en/sign", BASE, "/admin/login"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_embed_counter_negotiates_without_a_lang_parameter(app, client, db):
    html = client.get("/embed/ban-biometric-surveillance/counter", headers={"Accept-Language": "de-AT"}).get_data(as_text=True)
    assert '<html lang="de"' in html
    assert client.get("/embed/nope/counter").status_code == 404
