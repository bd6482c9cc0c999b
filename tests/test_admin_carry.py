"""An admin who presses Save after their session or the form's token ran out loses nothing: what
they sent comes back, shown, to send again with one press (campaign/views/admin/carry.py)."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import update

from campaign.extensions import db as database
from campaign.mail import updates
from campaign.models import AdminSession, Update

from .factories import ADMIN_PASSWORD, csrf_token, log_in, make_admin, shipped_letter, totp_code

HERE = {"Origin": "http://localhost"}
TEXT = "We met the ministry today.\n\nThree things were promised; we will hold them to each."


def draft(author) -> Update:
    return updates.create(shipped_letter(), author)


def end_sessions() -> None:
    database.session.execute(update(AdminSession).values(
        last_seen_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=31)))
    database.session.commit()


def hidden_fields(page: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for tag in re.findall(r'<input [^>]*type="hidden"[^>]*>', page):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        fields.setdefault(html.unescape(attributes["name"]), []).append(html.unescape(attributes["value"]))
    return fields


def test_text_sent_after_the_session_ended_comes_through_the_login_and_is_saved_with_one_press(app, client, db):
    author = make_admin("author@campaign.example", role="admin")
    update_id = draft(author).id
    log_in(client, author)
    token = csrf_token(client, f"/admin/updates/{update_id}/en")
    end_sessions()

    sent = client.post(f"/admin/updates/{update_id}/en", headers=HERE,
                       data={"csrf_token": token, "subject": "News", "body": TEXT})
    page = sent.get_data(as_text=True)
    assert sent.status_code == 401 and "Log in" in page and 'action="/admin/login"' in page
    carried = hidden_fields(page)
    assert carried["carried-body"] == [TEXT] and carried["carried_to"] == [f"/admin/updates/{update_id}/en"]
    assert database.session.get(Update, update_id).texts == []  # nothing acted on

    wrong = client.post("/admin/login", data={**carried,
                                              "email": author.email, "password": "not it", "code": ""})
    assert wrong.status_code == 401 and hidden_fields(wrong.get_data(as_text=True))["carried-body"] == [TEXT]

    logged_in = client.post("/admin/login", data={**carried, "email": author.email,
                                                  "password": ADMIN_PASSWORD, "code": totp_code(author)})
    resend = logged_in.get_data(as_text=True)
    assert logged_in.status_code == 200 and "Not saved yet" in resend
    assert html.escape(TEXT, quote=False) in resend  # shown to the admin, not only hidden
    again = hidden_fields(resend)
    assert again["body"] == [TEXT] and again["subject"] == ["News"]
    assert f'action="/admin/updates/{update_id}/en"' in resend

    saved = client.post(f"/admin/updates/{update_id}/en", headers=HERE, data=again)
    assert saved.status_code == 303
    database.session.expire_all()
    [text] = database.session.get(Update, update_id).texts
    assert (text.subject, text.body) == ("News", TEXT)


def test_a_form_whose_token_ran_out_shows_what_it_sent_with_a_fresh_token(app, client, db):
    author = make_admin("author@campaign.example", role="admin")
    update_id = draft(author).id
    log_in(client, author)
    refused = client.post(f"/admin/updates/{update_id}/en", headers=HERE,
                          data={"csrf_token": "expired", "subject": "News", "body": TEXT})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Not saved yet" in page and "Send it again" in page
    assert client.post(f"/admin/updates/{update_id}/en", headers=HERE, data=hidden_fields(page)).status_code == 303
    database.session.expire_all()
    assert [text.body for text in database.session.get(Update, update_id).texts] == [TEXT]


def test_a_button_only_form_is_carried_and_leave_it_goes_somewhere_that_answers(app, client, db):
    """The decision bar posts to a path with no page of its own: "leave it" goes to the queue."""
    log_in(client, make_admin(role="admin"))
    page = client.post("/admin/signatures/decide", headers=HERE,
                       data={"csrf_token": "expired", "ids": ["1", "2"], "decision": "approve"}).get_data(as_text=True)
    assert hidden_fields(page)["ids"] == ["1", "2"]  # repeated fields keep every value
    leave = re.search(r'<a class="button button--secondary" href="([^"]+)">', page).group(1)
    assert client.get(leave).status_code == 200


def test_a_post_from_another_site_is_not_carried(app, client, db):
    author = make_admin("author@campaign.example", role="admin")
    update_id = draft(author).id
    elsewhere = ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/form"}, {})
    log_in(client, author)
    for headers in elsewhere:
        refused = client.post(f"/admin/updates/{update_id}/en", headers=headers,
                              data={"csrf_token": "x", "subject": "Words", "body": "never theirs"})
        assert refused.status_code == 400 and "never theirs" not in refused.get_data(as_text=True)
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    for headers in elsewhere:
        ended = client.post(f"/admin/updates/{update_id}/en", headers=headers,
                            data={"csrf_token": "x", "subject": "Words", "body": "never theirs"})
        assert "never theirs" not in ended.get_data(as_text=True)


def test_passwords_are_never_carried(app, client, db):
    user = make_admin()
    refused = client.post("/admin/login", headers=HERE,
                          data={"csrf_token": "x", "email": user.email, "password": ADMIN_PASSWORD})
    assert refused.status_code == 400 and ADMIN_PASSWORD not in refused.get_data(as_text=True)


def test_a_file_is_not_carried_and_the_page_says_to_choose_it_again(app, client, db):
    import io

    log_in(client, make_admin(role="admin"))
    page = client.post("/admin/import", headers=HERE, content_type="multipart/form-data",
                       data={"csrf_token": "x", "file": (io.BytesIO(b"name,email\n"), "list.csv")}).get_data(as_text=True)
    assert "choose it again" in page and "name,email" not in page
