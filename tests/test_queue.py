"""A queue a person can clear (issue 17): each entry's own Approve and Reject, select all on the
page, the decision bar at the top and the bottom, and back to the same filtered view afterwards."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from campaign.models import AuditEntry, Signature, SignatureStatus

from .factories import log_in, make_admin, make_signature, translated_plural


@pytest.fixture
def logged_in(app, client, db):
    assert log_in(client, make_admin()).status_code == 302
    return client


def small_form(html: str, form_id: str) -> tuple[str, dict]:
    """The action and fields of one of the queue's per-entry forms, with the controls that belong
    to it from elsewhere on the page (``form="…"``)."""
    found = re.search(rf'<form id="{form_id}" method="post" action="([^"]+)" hidden>(.*?)</form>', html, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', found.group(2)))
    return found.group(1), fields


def status_of(db, signature_id: int) -> SignatureStatus:
    db.session.expire_all()
    return db.session.get(Signature, signature_id).status


def test_each_entry_has_its_own_approve_and_reject(app, db, logged_in):
    first, second = make_signature(organisation="First Org"), make_signature(organisation="Second Org")
    html = logged_in.get("/admin/?kind=organisation").get_data(as_text=True)
    assert f'form="approve-{first.id}"' in html and f'form="reject-{second.id}"' in html

    action, fields = small_form(html, f"approve-{first.id}")
    answer = logged_in.post(action, data=fields)
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/?kind=organisation#messages", \
        "back on the same filtered view"
    assert status_of(db, first.id) is SignatureStatus.PUBLISHED

    action, fields = small_form(html, f"reject-{second.id}")
    logged_in.post(action, data=fields)
    assert status_of(db, second.id) is SignatureStatus.VERIFIED, "a rejection needs a reason"
    logged_in.post(action, data={**fields, "reason": "Not an organisation"})
    assert status_of(db, second.id) is SignatureStatus.REJECTED
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "signature.rejected"))
    assert entry.note == "Not an organisation"


def test_select_all_then_reject_in_bulk_with_a_reason_from_either_bar(app, db, logged_in):
    batch = [make_signature(organisation=f"Bulk Org {number}") for number in range(5)]
    plain = logged_in.get("/admin/").get_data(as_text=True)
    assert plain.count('<fieldset class="decision') == 2, "the decision bar at the top and at the bottom"
    assert " checked>" not in plain.split('<ol class="queue__list">')[1].split("</ol>")[0]
    selected = logged_in.get("/admin/?select=all").get_data(as_text=True)
    wording = translated_plural(app, "en", "Select the %(num)s signature on this page",
                                "Select all %(num)s signatures on this page", 5)
    assert wording in plain
    boxes = re.findall(r'<input type="checkbox" name="ids" value="(\d+)" id="select-\d+" checked>', selected)
    assert sorted(map(int, boxes)) == sorted(signature.id for signature in batch)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', selected).group(1)
    back = re.search(r'<input type="hidden" name="back" value="([^"]+)">', selected).group(1)
    assert back == "/admin/", "after the decision, the view without the selection"
    forgot = logged_in.post("/admin/signatures/decide", data={
        "csrf_token": token, "back": back, "ids": boxes, "decision": "reject", "reason": ["", ""], "tell_signer": "y"})
    again = logged_in.get(forgot.headers["Location"]).get_data(as_text=True)
    assert "Give a reason for rejecting." in again, "refused, and why"
    kept = re.findall(r'<input type="checkbox" name="ids" value="(\d+)" id="select-\d+" checked>', again)
    assert sorted(kept) == sorted(boxes), "the selection is kept, to send again with a reason"
    assert 'id="tell-top" name="tell_signer" value="y" checked' in again and 'id="reason-top"' in again
    assert {status_of(db, signature.id) for signature in batch} == {SignatureStatus.VERIFIED}
    answer = logged_in.post("/admin/signatures/decide", data={
        "csrf_token": token, "back": back, "ids": boxes, "decision": "reject", "reason": ["", "Spam wave"]})
    assert answer.headers["Location"] == "/admin/#messages", "opened at what was done, past the filters"
    assert {status_of(db, signature.id) for signature in batch} == {SignatureStatus.REJECTED}
    follow = logged_in.get("/admin/").get_data(as_text=True)
    assert "5 signatures rejected." in follow
    said = follow.index('id="messages"')
    assert follow.index('role="search"') < said < follow.index("Nothing matches these filters."), \
        "the word on the decision stands just above the entries, where the page opens"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_audit_trail_reads_a_correction_as_before_and_after(app, db, logged_in, lang):
    from campaign.moderation import decisions

    from .factories import translated

    signature = make_signature(status="published", organisation="Rights Colective")
    decisions.edit(signature.id, make_admin("second@campaign.example"), {"organisation": "Rights Collective"})
    html = logged_in.get("/admin/audit", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert translated(app, lang, "Signature corrected by a moderator") in html
    arrow = "←" if lang == "ar" else "→"  # pointing from the old value to the new, in the reading direction
    assert re.search(rf"<del><bdi>Rights Colective</bdi></del> <span[^>]*>{arrow}</span> <ins><bdi>Rights Collective</bdi></ins>",
                     html)
    assert re.search(r'<bdi dir="ltr">#\d+</bdi>', html), "an entry's number reads #364 in Arabic too"
    assert "signature.edited" not in html.split("<tbody>")[1] and '{"organisation"' not in html
    assert re.search(r"<time datetime=\"[^\"]+\">[^<]+ UTC</time>", html)
