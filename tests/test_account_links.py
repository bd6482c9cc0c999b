"""Accounts in the browser: an admin creates or resets an account; its person sets their own password
and second factor from a one-time link, on both databases."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
import segno
from sqlalchemy import select, update

from campaign.models import AdminUser, AuditEntry
from campaign.moderation import accounts

from .factories import ADMIN_PASSWORD, csrf_token, log_in, make_admin, totp_code

NEW_PASSWORD = "violet lantern across seven rivers"


@pytest.fixture
def admin(app, client, db):
    user = make_admin("admin@campaign.example", role="admin")
    log_in(client, user)
    return user


def link_on(page) -> str:
    html = page.get_data(as_text=True)
    return re.search(r'value="https://campaign\.example(/admin/setup/[\w-]+)"', html).group(1)


def invite(client, email: str = "new.moderator@campaign.example", role: str = "moderator") -> str:
    page = client.post("/admin/accounts", data={"csrf_token": csrf_token(client, "/admin/accounts"), "email": email,
                                                "role": role})
    assert page.status_code == 200
    return link_on(page)


def setup_page_token(person, path: str) -> str:
    html = person.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def secret_shown(person, path: str) -> str:
    html = person.get(path).get_data(as_text=True)
    code = re.search(r'<code dir="ltr" class="secret">(.+?)</code>', html).group(1)
    return "".join(re.findall(r"<span>([A-Z2-7]{1,4})</span>", code))


def account(email: str, db) -> AdminUser:
    return db.session.scalar(select(AdminUser).where(AdminUser.email == email))


def test_an_account_is_created_then_set_up_from_its_link(app, client, db, admin):
    path = invite(client)
    user = account("new.moderator@campaign.example", db)
    assert user.role.value == "moderator" and user.setup_purpose == "account"
    assert path.rsplit("/", 1)[1] not in str(user.setup_token_hash)  # only a fingerprint is kept

    person = app.test_client()
    page = person.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and 'class="qr-code"' in html
    secret = secret_shown(person, path)
    assert secret == user.totp_secret
    expected = segno.make_qr(accounts.otpauth_uri(user), error="m").svg_inline(scale=5)
    assert re.search(r' d="([^"]+)"', expected).group(1) in html  # the QR code holds the enrolment address

    # Nobody can log in on the account before its person has chosen a password.
    assert log_in(app.test_client(), user, password="").status_code == 401

    code = pyotp.TOTP(secret).now()
    done = person.post(path, data={"csrf_token": setup_page_token(person, path), "new_password": NEW_PASSWORD,
                                   "repeat_password": NEW_PASSWORD, "code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/"
    assert person.get("/admin/").status_code == 200  # logged in by the link
    assert person.get(path).status_code == 404  # the link worked once
    db.session.refresh(user)
    assert user.setup_token_hash is None and user.setup_purpose is None

    later = app.test_client()
    assert log_in(later, user, password=NEW_PASSWORD, code=totp_code(user)).status_code == 302
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == user.id,
                                                                 AuditEntry.target_type == "admin_user")).all()
    assert "account.created" in actions and "account.set_up" in actions


def test_a_weak_or_mistyped_password_and_a_wrong_code_keep_the_link(app, client, db, admin):
    path = invite(client)
    person = app.test_client()
    secret = secret_shown(person, path)
    weak = person.post(path, data={"csrf_token": setup_page_token(person, path), "new_password": "password1234",
                                   "repeat_password": "password1234", "code": pyotp.TOTP(secret).now()})
    assert weak.status_code == 400 and "too common" in weak.get_data(as_text=True)
    differ = person.post(path, data={"csrf_token": setup_page_token(person, path), "new_password": NEW_PASSWORD,
                                     "repeat_password": NEW_PASSWORD + "x", "code": pyotp.TOTP(secret).now()})
    assert differ.status_code == 400 and "The two passwords differ" in differ.get_data(as_text=True)
    wrong = person.post(path, data={"csrf_token": setup_page_token(person, path), "new_password": NEW_PASSWORD,
                                    "repeat_password": NEW_PASSWORD, "code": "000000" if pyotp.TOTP(secret).now()
                                    != "000000" else "111111"})
    assert wrong.status_code == 400 and "The code did not work" in wrong.get_data(as_text=True)
    assert person.get(path).status_code == 200  # still usable
    user = account("new.moderator@campaign.example", db)
    failed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.setup_failed")).all()
    assert [entry.after for entry in failed] == [{"problem": "code"}]
    assert user.setup_purpose == "account"


def test_repeated_wrong_codes_pause_the_link_like_a_login(app, client, db, admin):
    path = invite(client)
    person = app.test_client()
    secret = secret_shown(person, path)
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    for _attempt in range(accounts.SLOW_DOWN_AFTER):
        person.post(path, data={"csrf_token": setup_page_token(person, path), "new_password": NEW_PASSWORD,
                                "repeat_password": NEW_PASSWORD, "code": wrong})
    paused = person.post(path, data={"csrf_token": setup_page_token(person, path), "new_password": NEW_PASSWORD,
                                     "repeat_password": NEW_PASSWORD, "code": pyotp.TOTP(secret).now()})
    assert paused.status_code == 400 and "Too many attempts" in paused.get_data(as_text=True)


def test_disabling_an_account_ends_its_session_and_its_link(app, client, db, admin):
    moderator = make_admin()
    person = app.test_client()
    log_in(person, moderator)
    assert person.get("/admin/").status_code == 200
    token = csrf_token(client, f"/admin/accounts/{moderator.id}")
    client.post(f"/admin/accounts/{moderator.id}/active", data={"csrf_token": token})
    db.session.refresh(moderator)
    assert moderator.active is False
    assert person.get("/admin/").status_code == 302
    assert log_in(app.test_client(), moderator).status_code == 401
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.disabled")).one()
    assert entry.actor_id == admin.id and entry.after == {"active": False}

    path = invite(client, "second@campaign.example")
    second = account("second@campaign.example", db)
    client.post(f"/admin/accounts/{second.id}/active", data={"csrf_token": token})
    assert app.test_client().get(path).status_code == 404  # a disabled account's link does nothing
    client.post(f"/admin/accounts/{moderator.id}/active", data={"csrf_token": token})
    db.session.refresh(moderator)
    assert moderator.active is True and log_in(app.test_client(), moderator).status_code == 302


def test_a_password_reset_stops_the_old_password_and_never_shows_the_secret(app, client, db, admin):
    moderator = make_admin()
    person = app.test_client()
    log_in(person, moderator)
    page = client.post(f"/admin/accounts/{moderator.id}/password",
                       data={"csrf_token": csrf_token(client, f"/admin/accounts/{moderator.id}")})
    path = link_on(page)
    assert person.get("/admin/").status_code == 302  # its session ended
    assert log_in(app.test_client(), moderator).status_code == 401  # the old password no longer works
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.password_reset")).one()
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "admin_user", moderator.id)
    html = app.test_client().get(path).get_data(as_text=True)
    db.session.refresh(moderator)
    assert "<svg" not in html and moderator.totp_secret not in html and 'name="new_password"' in html
    fresh = app.test_client()
    done = fresh.post(path, data={"csrf_token": setup_page_token(fresh, path), "new_password": NEW_PASSWORD,
                                  "repeat_password": NEW_PASSWORD, "code": totp_code(moderator)})
    assert done.status_code == 302 and fresh.get("/admin/").status_code == 200
    db.session.refresh(moderator)
    assert accounts.password_matches(moderator.password_hash, NEW_PASSWORD)


def test_a_second_factor_reset_ends_the_sessions_and_asks_for_the_current_password(app, client, db, admin):
    moderator = make_admin()
    old_secret = moderator.totp_secret
    person = app.test_client()
    log_in(person, moderator)
    assert person.get("/admin/").status_code == 200
    page = client.post(f"/admin/accounts/{moderator.id}/second-factor",
                       data={"csrf_token": csrf_token(client, f"/admin/accounts/{moderator.id}")})
    path = link_on(page)
    assert person.get("/admin/").status_code == 302, "its session ended"
    db.session.refresh(moderator)
    assert moderator.totp_secret != old_secret
    old_code = pyotp.TOTP(old_secret).now()
    if old_code != totp_code(moderator):  # one chance in a million that both secrets give the same code now
        assert log_in(app.test_client(), moderator, code=old_code).status_code == 401, "the old authenticator is done"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.second_factor_reset")).one()
    assert (entry.actor_id, entry.actor_label, entry.target_type, entry.target_id) == \
        (admin.id, admin.email, "admin_user", moderator.id)
    secret = secret_shown(person, path)
    assert secret == moderator.totp_secret
    wrong = person.post(path, data={"csrf_token": setup_page_token(person, path), "current_password": "not it at all",
                                    "code": pyotp.TOTP(secret).now()})
    assert wrong.status_code == 400 and "Your current password did not work" in wrong.get_data(as_text=True)
    done = person.post(path, data={"csrf_token": setup_page_token(person, path), "current_password": ADMIN_PASSWORD,
                                   "code": totp_code(moderator)})
    assert done.status_code == 302 and person.get("/admin/").status_code == 200


def test_both_resets_pending_ask_for_both(app, client, db, admin):
    moderator = make_admin()
    token = csrf_token(client, f"/admin/accounts/{moderator.id}")
    client.post(f"/admin/accounts/{moderator.id}/password", data={"csrf_token": token})
    path = link_on(client.post(f"/admin/accounts/{moderator.id}/second-factor", data={"csrf_token": token}))
    db.session.refresh(moderator)
    assert moderator.setup_purpose == "account"
    html = app.test_client().get(path).get_data(as_text=True)
    assert 'name="new_password"' in html and "<svg" in html


def test_an_expired_link_is_replaced_by_a_new_one(app, client, db, admin):
    old = invite(client)
    user = account("new.moderator@campaign.example", db)
    db.session.execute(update(AdminUser).where(AdminUser.id == user.id)
                       .values(setup_expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)))
    db.session.commit()
    expired = app.test_client().get(old)
    assert expired.status_code == 404 and "This link does not work" in expired.get_data(as_text=True)
    detail = client.get(f"/admin/accounts/{user.id}").get_data(as_text=True)
    assert "the link expired unused" in detail
    new = link_on(client.post(f"/admin/accounts/{user.id}/link",
                              data={"csrf_token": csrf_token(client, f"/admin/accounts/{user.id}")}))
    assert new != old and app.test_client().get(new).status_code == 200 and app.test_client().get(old).status_code == 404


def test_an_address_already_used_and_an_invalid_one_are_refused_with_the_input_kept(app, client, db, admin):
    make_admin()
    token = csrf_token(client, "/admin/accounts")
    again = client.post("/admin/accounts", data={"csrf_token": token, "email": "mod@campaign.example", "role": "admin"})
    assert again.status_code == 400 and "An account for this address exists already" in again.get_data(as_text=True)
    invalid = client.post("/admin/accounts", data={"csrf_token": token, "email": "not an address", "role": "moderator"})
    html = invalid.get_data(as_text=True)
    assert invalid.status_code == 400 and 'value="not an address"' in html


def test_an_admin_cannot_disable_or_reset_their_own_account(app, client, db, admin):
    token = csrf_token(client, f"/admin/accounts/{admin.id}")
    for action in ("active", "password", "second-factor", "role"):
        assert client.post(f"/admin/accounts/{admin.id}/{action}", data={"csrf_token": token,
                                                                         "role": "moderator"}).status_code == 403
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_the_account_pages_and_their_history_are_translated(app, client, db, admin, lang):
    path = invite(client)
    user = account("new.moderator@campaign.example", db)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    detail = client.get(f"/admin/accounts/{user.id}").get_data(as_text=True)
    assert "Moderator" not in detail and "account.created" not in detail
    setup = app.test_client().get(path, headers={"Accept-Language": lang}).get_data(as_text=True)
    assert f'lang="{lang}"' in setup and "Set up your account" not in setup


def test_disabling_an_account_voids_its_waiting_link_for_good(app, client, db, admin):
    """Re-enabling an account disabled because its link leaked must not bring that link back."""
    moderator = make_admin()
    token = csrf_token(client, f"/admin/accounts/{moderator.id}")
    path = link_on(client.post(f"/admin/accounts/{moderator.id}/password", data={"csrf_token": token}))
    client.post(f"/admin/accounts/{moderator.id}/active", data={"csrf_token": token})
    client.post(f"/admin/accounts/{moderator.id}/active", data={"csrf_token": token})
    db.session.refresh(moderator)
    assert moderator.active is True and app.test_client().get(path).status_code == 404
    assert "the link expired unused" in client.get(f"/admin/accounts/{moderator.id}").get_data(as_text=True)
    fresh = link_on(client.post(f"/admin/accounts/{moderator.id}/link", data={"csrf_token": token}))
    assert app.test_client().get(fresh).status_code == 200


def test_the_link_never_reaches_a_log(app, client, db, admin, caplog):
    path = invite(client)
    token = path.rsplit("/", 1)[1]
    app.test_client().get(path)
    app.logger.warning("GET %s HTTP/1.1", path)
    assert token not in caplog.text and "/admin/setup/[token]" in caplog.text


def test_logging_out_reads_as_such_in_the_audit_trail(app, client, db, admin):
    client.post("/admin/logout", data={"csrf_token": csrf_token(client)})
    log_in(client, admin, code=totp_code(admin))
    html = client.get("/admin/audit", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Déconnexion" in html and ">logout<" not in html


def test_who_acted_and_languages_read_in_words_in_the_readers_language(app, client, db, admin):
    """Not "signer", "rule:individuals" or "es": the audit trail and the queue speak the page's language."""
    from campaign.moderation import audit

    from .factories import make_signature

    audit.record(None, "signer", "signature.withdrawn", "signature", 1)
    audit.record(None, "rule:individuals", "signature.approved", "signature", 2)
    db.session.commit()
    html = client.get("/admin/audit", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Le ou la signataire" in html and "Règle de publication\u00a0: personnes" in html
    assert ">signer<" not in html and "rule:individuals" not in html
    make_signature(language="es")
    queue = client.get("/admin/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert ">الإسبانية<" in queue and ">es<" not in queue
