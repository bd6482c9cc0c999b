"""One list of the signer's fields: everything that handles them follows it, nothing is left out."""

from __future__ import annotations

import re

from campaign.models import Signature, SignatureKind
from campaign.moderation.imports import COLUMNS as IMPORT_COLUMNS
from campaign.publication.exports import ADMIN_COLUMNS
from campaign.signing import fields
from campaign.signing.self_service import personal_data
from campaign.web.forms import EditSignatureForm, SignatureForm

from .factories import PROJECT_ROOT, make_signature


def test_every_column_of_a_signature_is_a_field_a_record_or_internal_exactly_once():
    groups = [fields.FIELD_NAMES, fields.RECORD_COLUMNS, fields.INTERNAL_COLUMNS]
    named = [name for group in groups for name in group]
    assert len(named) == len(set(named)), "a column is in two groups"
    assert set(named) == set(Signature.__table__.columns.keys())


def test_personal_data_holds_every_field_and_every_record_column(app, db):
    signature = make_signature(comment="a comment", client_network_hash="c" * 64)
    data = personal_data(signature)
    assert set(fields.FIELD_NAMES) | set(fields.RECORD_COLUMNS) <= set(data)
    assert data["comment"] == "a comment" and data["client_network_hash"] == "c" * 64
    assert isinstance(data["email_sealed"], str) and data["email_hash"] == signature.email_hash


def test_the_forms_the_import_and_the_exports_follow_the_list(app):
    with app.test_request_context():
        assert set(fields.FIELD_NAMES) | {"email"} <= set(SignatureForm(meta={"csrf": False})._fields)
        edit_form = EditSignatureForm(meta={"csrf": False}, kind=SignatureKind.INDIVIDUAL)
        assert set(edit_form._fields) >= set(fields.EDITABLE)
    assert tuple(IMPORT_COLUMNS[:len(fields.FIELD_NAMES)]) == fields.FIELD_NAMES
    assert [name for name in ADMIN_COLUMNS if name in fields.FIELD_NAMES] == list(fields.FIELD_NAMES)


def test_the_readme_documents_the_form_contract():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### The form: a public contract", 1)[1].split("###", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.M)
    assert sorted(documented) == sorted(fields.FORM_CONTRACT)
