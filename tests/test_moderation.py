"""The review queue: decisions and their audit entries, bulk actions, edits, flags, filters, pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from campaign.models import AuditEntry, PublishedTally, Signature, SignatureStatus
from campaign.moderation import decisions as moderation
from campaign.moderation import flags, queue
from campaign.signing import rules as signing

from .factories import csrf_token, log_in, make_admin, make_signature, translated


@pytest.fixture
def moderator(app, db):
    return make_admin()


@pytest.fixture
def logged_in(client, moderator):
    assert log_in(client, moderator).status_code == 302
    return client


def tally(db) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(PublishedTally.count), 0)))


def audit_actions(db, signature_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == "signature", AuditEntry.target_id == signature_id).order_by(AuditEntry.id)))


def decide(client, ids, decision, reason="", back="/admin/"):
    return client.post("/admin/signatures/decide", data={
        "csrf_token": csrf_token(client), "ids": [str(i) for i in ids], "decision": decision,
        "reason": reason, "back": back,
    })


def test_queue_shows_verified_entries_oldest_first_with_every_field(app, db, logged_in):
    pending = make_signature(status="pending", organisation="Not Yet Confirmed")
    first = make_signature(organisation="First Org", role="Director", city="Recife", website="https://first.example",
                           comment="Please list us", email="contact@first.example")
    second = make_signature(kind="individual", name="Second Person")
    html = logged_in.get("/admin/").get_data(as_text=True)
    assert "Not Yet Confirmed" not in html
    assert html.index("First Org") < html.index("Second Person")
    for value in ("Director", "Recife", "https://first.example", "Please list us", "first.example"):
        assert value in html
    assert f'name="ids" value="{first.id}"' in html and f'name="ids" value="{second.id}"' in html \
        and f'name="ids" value="{pending.id}"' not in html


def test_approve_publishes_counts_and_is_audited(app, db, logged_in, moderator):
    signature = make_signature()
    assert decide(logged_in, [signature.id], "approve").status_code == 302
    db.session.refresh(signature)
    assert signature.status is SignatureStatus.PUBLISHED and signature.published_at is not None
    assert signature.decided_by_id == moderator.id
    assert tally(db) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "signature.approved"))
    assert entry.actor_label == moderator.email and entry.target_id == signature.id
    assert entry.before == {"status": "verified"} and entry.after == {"status": "published"}


def test_reject_needs_a_reason_and_records_it(app, db, logged_in):
    signature = make_signature()
    decide(logged_in, [signature.id], "reject", reason="")
    db.session.refresh(signature)
    assert signature.status is SignatureStatus.VERIFIED
    decide(logged_in, [signature.id], "reject", reason="Impersonation of a known NGO")
    db.session.refresh(signature)
    assert signature.status is SignatureStatus.REJECTED and signature.rejection_reason == "Impersonation of a known NGO"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "signature.rejected"))
    assert entry.note == "Impersonation of a known NGO" and tally(db) == 0


def test_bulk_approve_and_reject(app, db, logged_in):
    batch = [make_signature() for _ in range(4)]
    decide(logged_in, [s.id for s in batch[:3]], "approve")
    decide(logged_in, [batch[3].id], "reject", reason="Spam")
    statuses = [db.session.get(Signature, s.id).status for s in batch]
    assert statuses == [SignatureStatus.PUBLISHED] * 3 + [SignatureStatus.REJECTED]
    assert tally(db) == 3
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "signature.approved")) == 3


def test_approving_twice_counts_once(app, db, logged_in):
    signature = make_signature()
    decide(logged_in, [signature.id], "approve")
    decide(logged_in, [signature.id], "approve")
    assert tally(db) == 1 and audit_actions(db, signature.id) == ["signature.approved"]


def test_edits_keep_the_previous_value(app, db, logged_in):
    signature = make_signature(status="published", organisation="Amnesty Internatinal", country="BR")
    db.session.add(PublishedTally(letter_id=signature.letter_id, kind="organisation", country="BR", count=1))
    db.session.commit()
    page = logged_in.get(f"/admin/signatures/{signature.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = logged_in.post(f"/admin/signatures/{signature.id}", data={
        "csrf_token": token, "organisation": "Amnesty International", "name": signature.name, "country": "AR",
        "role": "", "city": "", "website": "",
    })
    assert response.status_code == 302
    db.session.refresh(signature)
    assert signature.organisation == "Amnesty International" and signature.country == "AR"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "signature.edited"))
    assert entry.before == {"organisation": "Amnesty Internatinal", "country": "BR"}
    assert entry.after == {"organisation": "Amnesty International", "country": "AR"}
    counts = dict(db.session.execute(select(PublishedTally.country, PublishedTally.count)).all())
    assert counts == {"BR": 0, "AR": 1}
    assert "Amnesty Internatinal" in logged_in.get(f"/admin/signatures/{signature.id}").get_data(as_text=True)


def test_hide_and_restore_a_published_signature(app, db, logged_in):
    signature = make_signature()
    decide(logged_in, [signature.id], "approve")
    token = csrf_token(logged_in, f"/admin/signatures/{signature.id}")
    logged_in.post(f"/admin/signatures/{signature.id}/hide", data={"csrf_token": token, "reason": "Asked by partner"})
    db.session.refresh(signature)
    assert signature.status is SignatureStatus.HIDDEN and tally(db) == 0
    logged_in.post(f"/admin/signatures/{signature.id}/restore", data={"csrf_token": token})
    db.session.refresh(signature)
    assert signature.status is SignatureStatus.PUBLISHED and tally(db) == 1
    assert audit_actions(db, signature.id) == ["signature.approved", "signature.hidden", "signature.restored"]


def test_mark_a_drafting_organisation(app, db, logged_in):
    signature = make_signature()
    token = csrf_token(logged_in, f"/admin/signatures/{signature.id}")
    logged_in.post(f"/admin/signatures/{signature.id}/drafter", data={"csrf_token": token})
    db.session.refresh(signature)
    assert signature.is_drafter is True
    assert audit_actions(db, signature.id) == ["signature.drafter_changed"]
    individual = make_signature(kind="individual")
    with pytest.raises(moderation.ModerationError):
        moderation.set_drafter(individual.id, make_admin("other@campaign.example"), True)


def flags_of(signature) -> list[str]:
    return flags.flags_for([signature])[0]


def test_flag_organisation_already_published(app, db):
    make_signature(status="published", organisation="Access Now")
    assert flags.ALREADY_PUBLISHED in flags_of(make_signature(organisation="access now"))
    assert flags.ALREADY_PUBLISHED not in flags_of(make_signature(organisation="Access Later"))


def test_flag_website_domain_differs(app, db):
    assert flags.WEBSITE_DOMAIN_DIFFERS in flags_of(
        make_signature(website="https://www.amnesty.org", email="someone@gmail.com"))
    assert flags.WEBSITE_DOMAIN_DIFFERS not in flags_of(
        make_signature(website="https://www.amnesty.org", email="press@amnesty.org"))
    assert flags.WEBSITE_DOMAIN_DIFFERS not in flags_of(
        make_signature(website="https://amnesty.org", email="press@uk.amnesty.org"))


def test_flag_disposable_email(app, db):
    assert flags.DISPOSABLE_EMAIL in flags_of(make_signature(email="x@mailinator.com"))
    assert flags.DISPOSABLE_EMAIL not in flags_of(make_signature(email="x@riseup.net"))


def test_flag_many_from_one_network(app, db):
    app.config["FLAG_NETWORK_THRESHOLD"] = 3
    crowd = [make_signature(client_network_hash="n" * 64) for _ in range(3)]
    alone = make_signature(client_network_hash="m" * 64)
    assert flags.BUSY_NETWORK in flags_of(crowd[0]) and flags.BUSY_NETWORK not in flags_of(alone)


def test_flag_domain_signing_in_bulk_but_not_public_webmail(app, db):
    app.config["FLAG_DOMAIN_THRESHOLD"] = 3
    for number in range(3):
        make_signature(email=f"staff{number}@bulk.example")
        make_signature(email=f"person{number}@gmail.com")
    assert flags.BUSY_DOMAIN in flags_of(make_signature(email="another@bulk.example"))
    assert flags.BUSY_DOMAIN not in flags_of(make_signature(email="another@gmail.com"))


def test_flag_mixed_scripts(app, db):
    assert flags.MIXED_SCRIPTS in flags_of(make_signature(organisation="Аmnesty International"))  # Cyrillic А
    assert flags.MIXED_SCRIPTS not in flags_of(make_signature(organisation="منظمة Rights Watch"))
    assert flags.MIXED_SCRIPTS not in flags_of(make_signature(organisation="Ação Cidadã"))


def test_flags_show_in_the_queue(app, db, logged_in):
    make_signature(organisation="Аmnesty", email="x@mailinator.com")
    html = logged_in.get("/admin/").get_data(as_text=True)
    assert "Disposable email address" in html and "Name mixes writing systems" in html


@pytest.mark.parametrize("query, expected", [
    ("status=published", {"Published Org", "Ind Person"}),
    ("status=any&kind=individual", {"Ind Person"}),
    ("country=AR", {"Argentine Org"}),
    ("language=ar", {"Arabic Org"}),
    ("q=sao+paulo", {"São Paulo Collective"}),
    ("q=SÃO", {"São Paulo Collective"}),
])
def test_filters(app, db, logged_in, query, expected):
    make_signature(status="published", organisation="Published Org")
    make_signature(status="published", kind="individual", name="Ind Person")
    make_signature(organisation="Argentine Org", country="AR")
    make_signature(organisation="Arabic Org", language="ar")
    make_signature(organisation="São Paulo Collective")
    html = logged_in.get(f"/admin/?{query}").get_data(as_text=True)
    shown = {name for name in ("Published Org", "Ind Person", "Argentine Org", "Arabic Org", "São Paulo Collective")
             if f"<bdi>{name}</bdi>" in html}
    assert shown == expected


def test_keyset_pages_forward_and_back(app, db, logged_in):
    app.config["QUEUE_PAGE_SIZE"] = 5
    made = [make_signature(organisation=f"Org {number:02d}") for number in range(12)]
    first = logged_in.get("/admin/").get_data(as_text=True)
    next_link = re.search(r'href="(/admin/\?after=\d+[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "rel=\"prev\"" not in first
    second = logged_in.get(next_link).get_data(as_text=True)
    assert "<bdi>Org 05</bdi>" in second and "<bdi>Org 04</bdi>" not in second
    previous = re.search(r'href="(/admin/\?before=\d+[^"]*)" rel="prev"', second).group(1).replace("&amp;", "&")
    back = logged_in.get(previous).get_data(as_text=True)
    assert "<bdi>Org 00</bdi>" in back and "<bdi>Org 05</bdi>" not in back
    third = logged_in.get(re.search(r'href="(/admin/\?after=\d+[^"]*)" rel="next"', second).group(1).replace("&amp;", "&"))
    assert "<bdi>Org 11</bdi>" in third.get_data(as_text=True) and 'rel="next"' not in third.get_data(as_text=True)
    assert len(made) == 12


def test_audit_trail_lists_and_filters(app, db, logged_in):
    signature = make_signature()
    decide(logged_in, [signature.id], "approve")
    html = logged_in.get("/admin/audit?action=signature.approved").get_data(as_text=True)
    assert '<td data-label="What">Signature published</td>' in html and '<td data-label="What">Logged in</td>' not in html
    assert '<td data-label="What">Logged in</td>' in logged_in.get("/admin/audit").get_data(as_text=True)


def test_the_audit_trail_cannot_be_changed_through_the_app(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}


def test_a_withdrawal_redacts_the_signer_from_the_audit_trail(app, db, logged_in, smtp):
    from .factories import links_in, sign
    from .test_signing import csrf_of, deliver

    public = app.test_client()
    sign(public, organisation="Withdrawing Org")
    deliver(app)
    links = links_in(smtp.wait_for(1)[0].text)
    public.post(links["confirm"], data=csrf_of(public, links["confirm"]))
    signature_id = db.session.scalar(select(Signature.id))
    decide(logged_in, [signature_id], "approve")
    moderation.edit(signature_id, make_admin("editor@campaign.example"), {"organisation": "Withdrawing Org Ltd"})
    public.post(links["withdraw"], data=csrf_of(public, links["withdraw"]))
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target_id == signature_id)).all()
    assert [e.action for e in entries][-1] == "signature.withdrawn"
    assert "Withdrawing Org" not in repr([(e.before, e.after, e.note) for e in entries])
    assert tally(db) == 0


def test_daily_digest_goes_to_moderators(app, db, smtp, moderator):
    make_signature()
    make_signature()
    result = app.test_cli_runner().invoke(args=["admin", "digest"])
    assert "digest queued for 1 account: 2 awaiting review" in result.output
    app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    [message] = smtp.wait_for(1)
    assert message.envelope_to == [moderator.email] and "2 signatures await review." in message.text
    assert "https://campaign.example/admin/" in message.text


def test_the_digest_command_counts_its_accounts_in_plain_english(app, db, moderator):
    make_admin("second@campaign.example")
    make_signature()
    result = app.test_cli_runner().invoke(args=["admin", "digest"])
    assert "digest queued for 2 accounts: 1 awaiting review" in result.output


def test_admins_can_pause_signing_from_the_queue(app, db, client):
    admin = make_admin("boss@campaign.example", role="admin")
    log_in(client, admin)
    client.post("/admin/signing", data={"csrf_token": csrf_token(client)})
    assert signing.signing_paused() is True
    assert db.session.scalar(select(AuditEntry.actor_label).where(AuditEntry.action == "signing.paused")) == admin.email
    client.post("/admin/signing", data={"csrf_token": csrf_token(client)})
    assert signing.signing_paused() is False


@pytest.mark.parametrize("lang", ["es", "ar"])
def test_queue_in_the_moderator_language(app, db, logged_in, lang):
    make_signature(organisation="منظمة الحقوق الرقمية")
    html = logged_in.get("/admin/", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert f'dir="{"rtl" if lang == "ar" else "ltr"}"' in html
    assert translated(app, lang, "Decision for the selected signatures") in html
    assert "<bdi>منظمة الحقوق الرقمية</bdi>" in html


def test_pending_signatures_are_not_open_to_moderators(app, db, logged_in):
    pending = make_signature(status="pending")
    assert logged_in.get(f"/admin/signatures/{pending.id}").status_code == 404
    decide(logged_in, [pending.id], "approve")
    db.session.refresh(pending)
    assert pending.status is SignatureStatus.PENDING


def test_waiting_count_counts_verified_entries(app, db):
    make_signature()
    assert queue.waiting_count() == 1


def test_every_action_the_audit_trail_records_has_words_for_it():
    """The audit page names each action in the reader's language: an action recorded anywhere in the
    code without a label would show as its raw key ("partner.created")."""
    import ast

    from campaign.views.labels import ACTION_LABELS

    from .factories import PROJECT_ROOT

    recorded = set()
    for path in (PROJECT_ROOT / "campaign").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit":
                recorded |= {arg.value for arg in node.args if isinstance(arg, ast.Constant)
                             and isinstance(arg.value, str) and re.fullmatch(r"[a-z_]+\.[a-z_]+", arg.value)}
    assert len(recorded) > 20
    assert sorted(recorded - set(ACTION_LABELS)) == []


def test_every_target_and_field_the_audit_trail_records_has_words_for_it(app):
    """The same for what an entry is about (its target: "partner #1") and the fields of its change
    ("code:", "language:"), where the code writes them out: read back, each has its label."""
    import ast

    from campaign.views.labels import TARGET_LABELS, audit_changes

    from .factories import PROJECT_ROOT

    fields: set[tuple[str, str]] = set()
    targets: set[str] = set()
    for path in (PROJECT_ROOT / "campaign").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                continue
            if len(node.args) < 4 or not isinstance(node.args[3], ast.Constant):
                continue
            target = node.args[3].value
            targets.add(target)
            for keyword in node.keywords:
                if keyword.arg in ("before", "after") and isinstance(keyword.value, ast.Dict):
                    fields |= {(target, key.value) for key in keyword.value.keys
                               if isinstance(key, ast.Constant) and isinstance(key.value, str)}
    assert len(targets) >= 5 and len(fields) > 10
    assert sorted(targets - set(TARGET_LABELS)) == []
    with app.test_request_context("/admin/"):
        unnamed = sorted((target, name) for target, name in fields
                         if str(audit_changes({name: None}, None, target)[0].label) == name)
    assert unnamed == []
