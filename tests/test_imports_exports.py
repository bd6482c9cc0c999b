"""Offline imports (idempotent, with a report) and exports (admins only, streamed, formula-safe, logged)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from campaign.crypto import generate_seal_keypair
from campaign.models import AuditEntry, PublishedTally, Signature, SignatureStatus
from campaign.publication import exports

from .factories import log_in, make_admin, make_signature

IMPORT_CSV = """kind,name,organisation,role,country,city,website,email,comment,consent_publish,consent_updates,drafter
organisation,,Access Now,,US,,https://www.accessnow.org,,,yes,,yes
organisation,,Amnesty International,,GB,London,https://www.amnesty.org,press@amnesty.org,,yes,yes,yes
individual,Ana Souza,Universidade Federal,Professor,BR,Recife,,,,yes,,
individual,Anonymous Supporter,,,EG,,,,,no,,
organisation,,,,FR,,,,,yes,,
individual,Bad Country,,,Palestine,,,,,yes,,
organisation,,Bad Site,,DE,,javascript:alert(1),,,yes,,
"""


def run_import(app, tmp_path, content=IMPORT_CSV):
    path = tmp_path / "launch-endorsers.csv"
    path.write_text(content, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["signatures", "import", str(path)])


def test_import_validates_row_by_row_and_reports_refusals(app, db, tmp_path):
    result = run_import(app, tmp_path)
    assert "imported 4, already present 0, refused 3" in result.output
    assert "row 6: organisation:" in result.output
    assert "row 7: country: 'Palestine' is not an ISO 3166 country code; did you mean PS?" in result.output
    assert "row 8: website:" in result.output
    assert result.exit_code == 1, "refused rows make the command fail so scripts notice"
    signatures = db.session.scalars(select(Signature).order_by(Signature.id)).all()
    assert all(s.status is SignatureStatus.PUBLISHED and s.verified_at and s.published_at for s in signatures)
    assert [s.source for s in signatures] == [f"import:launch-endorsers.csv:{row}" for row in (2, 3, 4, 5)]
    assert [s.is_drafter for s in signatures] == [True, True, False, False]
    assert signatures[3].consent_publish is False
    assert db.session.scalar(select(func.sum(PublishedTally.count))) == 4
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "signature.imported")) == 4


def test_a_consent_column_that_says_neither_yes_nor_no_is_refused_never_read_as_yes(app, db, tmp_path):
    """"NO", "nein" or "لا" once published the names of people who had said no: only the yes/no words
    the README gives count (in any case); anything else refuses its row with why."""
    rows = [("No", False), ("NO", False), ("n", False), ("FALSE", False), ("0", False), ("", False), ("off", False),
            ("Yes", True), ("TRUE", True), ("1", True), ("y", True),
            ("nein", None), ("non", None), ("لا", None), ("²", None), ("maybe", None)]
    content = "kind,name,country,email,consent_publish\n" + "".join(
        f"individual,Consent {number},BR,consent{number}@example.org,{typed}\n" for number, (typed, _) in enumerate(rows))
    result = run_import(app, tmp_path, content)
    stored = dict(db.session.execute(select(Signature.name, Signature.consent_publish)).all())
    for number, (typed, consent) in enumerate(rows):
        if consent is None:
            assert f"Consent {number}" not in stored
            assert f"row {number + 2}: consent_publish: '{typed}' is neither yes nor no" in result.output
        else:
            assert stored[f"Consent {number}"] is consent, typed
    assert "imported 11, already present 0, refused 5" in result.output


def test_import_is_idempotent(app, db, tmp_path):
    run_import(app, tmp_path)
    again = run_import(app, tmp_path)
    assert "imported 0, already present 4, refused 3" in again.output
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 4
    assert db.session.scalar(select(func.sum(PublishedTally.count))) == 4


def test_import_refuses_a_file_without_the_required_columns(app, db, tmp_path):
    result = run_import(app, tmp_path, "name,email\nAna,ana@example.org\n")
    assert result.exit_code != 0 and "missing column(s): country, kind" in result.output


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_that_a_spreadsheet_would_run_are_neutralised(prefix):
    assert exports.neutralise(prefix + "SUM(A1)") == "'" + prefix + "SUM(A1)"
    assert exports.neutralise("plain " + prefix) == "plain " + prefix
    assert exports.neutralise(None) == "" and exports.neutralise(True) == "yes"


@pytest.mark.parametrize("cell, safe", [
    ("Acme;=HYPERLINK(\"http://evil.example\")", "Acme;'=HYPERLINK(\"http://evil.example\")"),
    ("Acme, +1+1", "Acme, '+1+1"),
    ("a|@SUM(A1)", "a|'@SUM(A1)"),
    ("line\n-2+3", "line\n'-2+3"),
    ("=x;=y", "'=x;'=y"),
    ("Jean-Pierre; Marie", "Jean-Pierre; Marie"),
])
def test_a_formula_after_a_separator_inside_a_cell_is_neutralised(cell, safe):
    assert exports.neutralise(cell) == safe


@pytest.fixture
def admin_client(app, db, client):
    log_in(client, make_admin("admin@campaign.example", role="admin"))
    return client


def test_admin_csv_export_is_streamed_formula_safe_and_logged(app, db, admin_client):
    make_signature(organisation="=HYPERLINK(\"http://evil.example\")", comment="@cmd|' /C calc'!A0")
    make_signature(organisation="Plain Org", status="published")
    response = admin_client.get("/admin/export.csv?status=any")
    assert response.status_code == 200 and response.was_streamed
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="signatures-')
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "marked UTF-8 for spreadsheets"
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [row["organisation"] for row in rows] == ["'=HYPERLINK(\"http://evil.example\")", "Plain Org"]
    assert rows[0]["comment"].startswith("'@")
    assert "email_sealed" not in rows[0] and "email_hash" not in rows[0]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.downloaded"))
    assert entry.actor_label == "admin@campaign.example" and entry.after["format"] == "csv"


def test_admin_json_export_is_filtered_like_the_queue(app, db, admin_client):
    make_signature(organisation="Waiting Org")
    make_signature(organisation="Published Org", status="published")
    response = admin_client.get("/admin/export.json?status=published")
    assert response.was_streamed
    records = json.loads(response.get_data(as_text=True))
    assert [record["organisation"] for record in records] == ["Published Org"]
    assert records[0]["status"] == "published"


def test_exports_keep_memory_flat_by_streaming_rows(app, db):
    for number in range(30):
        make_signature(organisation=f"Org {number}")
    chunks = exports.csv_chunks(exports.ADMIN_COLUMNS, (exports.admin_row(s) for s in exports.streamed(
        select(Signature).order_by(Signature.id))))
    assert next(chunks).startswith("id,letter_id,status")
    assert sum(chunk.count("\r\n") for chunk in chunks) == 30


def test_large_exports_are_written_in_pieces_of_whole_rows(monkeypatch):
    monkeypatch.setattr(exports, "CSV_CHUNK_CHARACTERS", 100)
    rows = [[number, f"Organisation {number}", "=HYPERLINK()"] for number in range(50)]
    chunks = list(exports.csv_chunks(["id", "name", "note"], rows))
    assert chunks[0] == "id,name,note\r\n" and 10 < len(chunks) < 50
    assert all(chunk.endswith("\r\n") for chunk in chunks)
    assert "".join(chunks[1:]).splitlines()[7] == "7,Organisation 7,'=HYPERLINK()"


def test_offline_export_opens_addresses_with_the_private_key(app, db, tmp_path, seal_keys):
    make_signature(email="wants.news@example.org", consent_updates=True)
    make_signature(email="no.news@example.org", consent_updates=False)
    key_file = tmp_path / "private.key"
    key_file.write_text(seal_keys[1])
    result = app.test_cli_runner().invoke(args=["signatures", "export", "--private-key", str(key_file),
                                                "--consent-updates"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["email"] for row in rows] == ["wants.news@example.org"]


def test_the_offline_export_fails_with_the_wrong_key(app, db, tmp_path):
    make_signature(email="someone@example.org")
    key_file = tmp_path / "wrong.key"
    key_file.write_text(generate_seal_keypair()[1])
    result = app.test_cli_runner().invoke(args=["signatures", "export", "--private-key", str(key_file)])
    assert result.exit_code != 0
    assert "someone@example.org" not in result.output


# --- imports in the browser (issue 17) ----------------------------------------------------------------


def test_an_import_is_previewed_then_committed_then_repeated_with_nothing_added(app, client, db):
    import re

    log_in(client, make_admin(role="admin"))
    page = client.get("/admin/import").get_data(as_text=True)
    assert re.search(r'<option[^>]*value="ban-biometric-surveillance"[^>]*>Open letter calling for', page), \
        "the letter named by its title, not its slug"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    upload = {"csrf_token": token, "letter": "ban-biometric-surveillance",
              "file": (io.BytesIO(IMPORT_CSV.encode("utf-8")), "launch-endorsers.csv")}
    preview = client.post("/admin/import", data=upload, content_type="multipart/form-data")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "4 signatures to add." in html and "3 rows refused." in html
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0, "a preview stores nothing"
    assert '<code dir="ltr">country</code>: &#39;Palestine&#39; is not an ISO 3166 country code; did you mean PS?' in html
    to_be_added = html.split("<h2>To be added</h2>")[1].split("</ul>")[0]
    listed = re.findall(r"<li>Row (\d+) · [^<]+ · <bdi>([^<]+)</bdi> · [^<]+</li>", to_be_added)
    assert listed == [("2", "Access Now"), ("3", "Amnesty International"), ("4", "Universidade Federal"),
                      ("5", "Anonymous Supporter")], "every row to be added, by its row number and name"
    assert to_be_added.count("<li>") == 4, "and no refused row among them"
    fields = dict(re.findall(r'<input (?:id="[^"]*" )?name="(csrf_token|source_name|letter)" type="hidden" value="([^"]*)"',
                             html.split('action="/admin/import/confirm"')[1]))
    fields.update(dict(re.findall(r'<input type="hidden" name="(letter)" value="([^"]*)">', html)))
    content = re.search(r'<textarea name="content" hidden aria-hidden="true">(.*?)</textarea>', html, re.S).group(1)
    import html as markup

    confirm = {**fields, "content": markup.unescape(content)}
    done = client.post("/admin/import/confirm", data=confirm).get_data(as_text=True)
    assert "4 signatures added." in done
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 4
    again = client.post("/admin/import/confirm", data=confirm).get_data(as_text=True)
    assert "0 signatures added." in again and "4 were already there." in again
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 4
    assert [s.source for s in db.session.scalars(select(Signature).order_by(Signature.id))][0] == \
        "import:launch-endorsers.csv:2"


def test_moderators_cannot_import(app, client, db):
    log_in(client, make_admin())
    assert client.get("/admin/import").status_code == 403
