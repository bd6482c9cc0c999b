"""The public timeline: deliveries and responses an admin records in several languages, shown on
the page, in the API and in an Atom feed (checked against RFC 4287's rules), with their files."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ElementTree
from html import unescape

import pytest
from PIL import Image
from sqlalchemy import func, select

from campaign.models import AuditEntry, TimelineEvent, TimelineFile

from .factories import LTR_AND_RTL, SHIPPED_LETTER, csrf_token, log_in, make_admin, translated

ADMIN_PAGE = f"/admin/letters/{SHIPPED_LETTER}"
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def photo_with_a_place_in_it() -> bytes:
    image = Image.new("RGB", (3000, 1500), (120, 30, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # the camera's maker
    exif[0x8825] = {1: "N", 2: (46.0, 12.0, 0.0)}  # where it was taken
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif)
    return output.getvalue()


def record(client, **fields):
    data = {"csrf_token": csrf_token(client, ADMIN_PAGE), "kind": "delivered", "occurred_at": "2026-11-20T10:30",
            "title_en": "Handed to the UN High Commissioner for Human Rights, Geneva",
            "summary_en": "Ten organisations handed over the letter and its 1,200 signatures.",
            "title_ar": "سُلّمت إلى المفوض السامي لحقوق الإنسان، جنيف", "summary_ar": "سلّمت عشر منظمات الرسالة."}
    data.update(fields)
    return client.post(f"{ADMIN_PAGE}/timeline", data=data, content_type="multipart/form-data")


@pytest.fixture
def admin_client(app, client, db):
    log_in(client, make_admin("admin@campaign.example", role="admin"))
    return client


def test_a_delivery_in_two_languages_is_on_the_page_the_api_and_the_feed(app, admin_client, db):
    client = admin_client
    assert record(client, file=(io.BytesIO(photo_with_a_place_in_it()), "delivery.jpg")).status_code == 303
    assert record(client, kind="response", occurred_at="2026-11-27T09:00", title_en="The High Commissioner answered",
                  summary_en="A reply promising a study.", title_ar="", summary_ar="",
                  link="www.ohchr.org/reply").status_code == 303

    english = client.get("/en/timeline").get_data(as_text=True)
    assert "Handed to the UN High Commissioner" in english and "The High Commissioner answered" in english
    arabic = client.get("/ar/timeline").get_data(as_text=True)
    assert "سُلّمت إلى المفوض السامي" in arabic
    assert "The High Commissioner answered" in arabic  # the original, with a notice that it is not translated
    assert translated(app, "ar", "Not yet written in your language: shown in %(language)s.",
                      language="الإنجليزية") in arabic
    french = client.get("/fr/timeline").get_data(as_text=True)
    assert "Handed to the UN High Commissioner" in french

    letter = client.get(f"/api/v1/letters/{SHIPPED_LETTER}").get_json()
    assert letter["stage"] == "answered"
    events = client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"]
    assert [event["kind"] for event in events] == ["response", "delivered", "published"]
    assert events[0]["link"] == "https://www.ohchr.org/reply"
    assert set(events[1]["texts"]) == {"en", "ar"}
    assert events[1]["texts"]["ar"]["title"].startswith("سُلّمت")

    photo = client.get(events[1]["file"].removeprefix("https://campaign.example"))
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "public, max-age=3600"
    served = Image.open(io.BytesIO(photo.get_data()))
    assert max(served.size) == 2000  # made a reasonable size
    assert not served.getexif()  # what the camera wrote (place, maker) stayed behind
    assert client.get(events[1]["file"].removeprefix("https://campaign.example").replace(".jpg", ".png")).status_code == 404

    for lang in ("en", "ar"):
        feed = client.get(f"/{lang}/timeline.atom")
        assert feed.mimetype == "application/atom+xml"
        entries = check_atom(feed.get_data())
        assert len(entries) == 3
        rels = {(link.get("rel"), link.get("type")) for entry in entries for link in entry.findall(f"{ATOM}link")}
        assert rels == {("alternate", "text/html"), ("related", None), ("enclosure", "image/jpeg")}
    arabic_feed = client.get("/ar/timeline.atom").get_data(as_text=True)
    assert "سُلّمت إلى المفوض السامي" in arabic_feed
    # the response, written in English only, says so in the Arabic feed; the delivery is Arabic like the feed
    languages = {entry.findtext(f"{ATOM}title"): entry.get("{http://www.w3.org/XML/1998/namespace}lang")
                 for entry in check_atom(client.get("/ar/timeline.atom").get_data())}
    assert languages["The High Commissioner answered"] == "en"
    assert [language for title, language in languages.items() if title.startswith("سُلّمت")] == [None]

    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "letter")).all()
    assert actions == ["timeline.recorded", "timeline.recorded"]

    # the admin's list says what each event is and shows what it carries, under the words they wrote
    listed = unescape(client.get(ADMIN_PAGE).get_data(as_text=True).split('id="events-heading"', 1)[1])
    assert "The letter was delivered" in listed and "A response was received" in listed
    assert events[1]["file"].removeprefix("https://campaign.example") in listed
    assert 'href="https://www.ohchr.org/reply"' in listed


def check_atom(document: bytes) -> list[ElementTree.Element]:
    """The rules RFC 4287 states with MUST for a feed and its entries (sections 4.1.1, 4.1.2, 4.2)."""
    root = ElementTree.fromstring(document)
    assert root.tag == f"{ATOM}feed"

    def one(parent: ElementTree.Element, name: str) -> ElementTree.Element:
        found = parent.findall(f"{ATOM}{name}")
        assert len(found) == 1, f"{parent.tag} needs exactly one {name}"
        return found[0]

    for name in ("id", "title", "updated"):
        assert one(root, name).text
    assert RFC3339.fullmatch(one(root, "updated").text)
    assert root.findall(f"{ATOM}author"), "a feed without authors on every entry needs its own"
    assert [link.get("href") for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    alternates = {(link.get("type"), link.get("hreflang")) for link in root.findall(f"{ATOM}link")
                  if link.get("rel", "alternate") == "alternate"}
    assert len(alternates) == len([link for link in root.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"])
    entries = root.findall(f"{ATOM}entry")
    ids = [one(entry, "id").text for entry in entries]
    assert len(set(ids)) == len(ids) and all(re.match(r"https?://", each) for each in ids)
    for entry in entries:
        assert one(entry, "title").text
        assert RFC3339.fullmatch(one(entry, "updated").text)
        content = entry.findall(f"{ATOM}content")
        assert content or [link for link in entry.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"]
    return entries


def test_a_refused_event_comes_back_as_it_was_filled_in(app, admin_client, db):
    client = admin_client
    response = record(client, title_en="", title_ar="عنوان بالعربية")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Write the heading in the letter's original language" in html
    assert "عنوان بالعربية" in html  # nothing typed is lost
    wrong_file = record(client, kind="response", file=(io.BytesIO(b"not a pdf"), "reply.pdf"))
    assert wrong_file.status_code == 422
    assert "Choose the response as a PDF file." in wrong_file.get_data(as_text=True)
    assert "Handed to the UN High Commissioner" in wrong_file.get_data(as_text=True)
    assert db.session.scalar(select(TimelineFile.id)) is None


def test_an_event_is_removed_with_its_file_and_a_trace(app, admin_client, db):
    client = admin_client
    record(client, kind="response", link="", file=(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "reply.pdf"))
    events = client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"]
    address = events[0]["file"].removeprefix("https://campaign.example")
    pdf = client.get(address)
    assert pdf.mimetype == "application/pdf" and pdf.headers["Content-Disposition"].startswith("attachment")
    event_id = db.session.scalar(select(TimelineEvent.id))
    client.post(f"{ADMIN_PAGE}/timeline/{event_id}/remove", data={"csrf_token": csrf_token(client, ADMIN_PAGE)})
    assert [event["kind"] for event in client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"]] \
        == ["published"]
    assert client.get(address).status_code == 404  # taken down means gone from its address
    assert db.session.scalar(select(TimelineFile.id)) is None
    removed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "timeline.removed")).one()
    assert removed.before["titles"]["en"].startswith("Handed to")
    assert removed.before["file"] and removed.before["summaries"]["en"].startswith("Ten organisations")


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_removing_an_event_asks_first_and_nothing_changes_until_confirmed(app, admin_client, db, lang):
    client = admin_client
    headers = {"Accept-Language": lang}
    record(client, file=(io.BytesIO(photo_with_a_place_in_it()), "delivery.jpg"))
    event_id = db.session.scalar(select(TimelineEvent.id))
    address = client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"][0]["file"]
    address = address.removeprefix("https://campaign.example")
    asking_page = f"{ADMIN_PAGE}/timeline/{event_id}/remove"
    html = client.get(ADMIN_PAGE, headers=headers).get_data(as_text=True)
    assert f'href="{asking_page}"' in html and f'action="{asking_page}"' not in html  # a link to a page that asks

    asking = client.get(asking_page, headers=headers)
    assert asking.status_code == 200
    question = asking.get_data(as_text=True)
    assert translated(app, lang, "Remove this event from the timeline?") in question
    assert "Handed to the UN High Commissioner" in question  # which event, in the letter's language
    assert translated(app, lang, "Its photo is taken down with it.") in question
    assert f'<a class="button button--secondary" href="{ADMIN_PAGE}">{translated(app, lang, "Cancel")}</a>' in question
    assert client.post(asking_page).status_code == 400  # no CSRF token, nothing removed
    assert len(client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"]) == 2
    assert client.get(address).status_code == 200
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "timeline.removed")) is None

    removed = client.post(asking_page, data={"csrf_token": csrf_token(client, asking_page)}, headers=headers,
                          follow_redirects=True)
    assert translated(app, lang, "The event was removed from the timeline.") in removed.get_data(as_text=True)
    assert [event["kind"] for event in client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"]] \
        == ["published"]
    assert client.get(address).status_code == 404
    assert client.get(asking_page).status_code == 404  # gone: nothing left to ask about


def test_only_recorded_events_of_the_letter_can_be_removed(app, admin_client, db):
    from campaign.lifecycle import closing

    from .factories import published, shipped_letter

    closing.set_goal(shipped_letter(), 1, None, "test")
    published()
    goal = db.session.scalar(select(TimelineEvent.id))
    for path in (f"{ADMIN_PAGE}/timeline/{goal}/remove", f"{ADMIN_PAGE}/timeline/99999/remove",
                 f"{ADMIN_PAGE}/timeline/{goal}/edit", f"{ADMIN_PAGE}/timeline/99999/edit"):
        assert admin_client.get(path).status_code == 404, path
    assert admin_client.post(f"{ADMIN_PAGE}/timeline/{goal}/remove",
                             data={"csrf_token": csrf_token(admin_client, ADMIN_PAGE)}).status_code == 303
    assert edit(admin_client, goal, title_en="Not a goal any more", expect_form=False).status_code == 404
    assert db.session.get(TimelineEvent, goal) is not None
    assert db.session.get(TimelineEvent, goal).texts == []
    assert "/edit" not in admin_client.get(ADMIN_PAGE).get_data(as_text=True)  # no Edit beside an automatic event


def edit(client, event_id, expect_form=True, **fields):
    """The edit form sent back as a browser would: what it shows, with ``fields`` changed."""
    page = f"{ADMIN_PAGE}/timeline/{event_id}/edit"
    html = client.get(page).get_data(as_text=True) if expect_form else client.get(ADMIN_PAGE).get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', html).group(1)}
    if expect_form:
        for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', html):
            data.setdefault(name, unescape(value))
        for name, value in re.findall(r'<textarea[^>]*name="(\w+)"[^>]*>\s*([^<]*)</textarea>', html):
            data[name] = unescape(value)
        data.pop("remove_file", None)  # a box is sent only when ticked
    data.update(fields)
    return client.post(page, data=data, content_type="multipart/form-data")


def feed_entries(client, lang="en") -> dict[str, ElementTree.Element]:
    entries = check_atom(client.get(f"/{lang}/timeline.atom").get_data())
    return {entry.findtext(f"{ATOM}id"): entry for entry in entries}


def test_an_edited_event_changes_the_page_the_api_and_the_feed_and_keeps_its_id(app, admin_client, db):
    client = admin_client
    record(client, file=(io.BytesIO(photo_with_a_place_in_it()), "delivery.jpg"))
    event_id = db.session.scalar(select(TimelineEvent.id))
    before = client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"][0]
    assert before["updated"] is None
    (entry_id, entry), = [(key, value) for key, value in feed_entries(client).items() if "#delivered-" in key]
    updated_before = entry.findtext(f"{ATOM}updated")

    html = client.get(ADMIN_PAGE).get_data(as_text=True)
    assert f'href="{ADMIN_PAGE}/timeline/{event_id}/edit"' in html
    form = client.get(f"{ADMIN_PAGE}/timeline/{event_id}/edit")
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert 'value="Handed to the UN High Commissioner for Human Rights, Geneva"' in page  # filled in as it stands
    assert "Ten organisations handed over the letter" in page and "سلّمت عشر منظمات الرسالة." in page
    assert 'value="2026-11-20T10:30"' in page and 'name="kind"' not in page  # a delivery stays a delivery
    assert "The letter was delivered" in page and 'accept="image/jpeg,image/png,image/webp"' in page
    assert before["file"].removeprefix("https://campaign.example") in page and 'name="remove_file"' in page
    assert f'href="{ADMIN_PAGE}"' in page  # Cancel

    saved = edit(client, event_id, occurred_at="2026-11-21T09:15", title_en="Handed to the High Commissioner, Geneva",
                 summary_en="Twelve organisations handed it over.", title_ar="", summary_ar="",
                 title_fr="Remise au Haut-Commissaire, Genève", link="www.ohchr.org/delivery")
    assert saved.status_code == 303 and saved.headers["Location"] == ADMIN_PAGE
    assert "The event is saved." in client.get(ADMIN_PAGE).get_data(as_text=True)

    after = client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"][0]
    assert after["id"] == before["id"] and after["kind"] == "delivered"
    assert after["at"] == "2026-11-21T09:15:00Z" and after["updated"] is not None
    assert after["texts"] == {"en": {"title": "Handed to the High Commissioner, Geneva",
                                     "summary": "Twelve organisations handed it over."},
                              "fr": {"title": "Remise au Haut-Commissaire, Genève", "summary": ""}}
    assert after["link"] == "https://www.ohchr.org/delivery"
    assert after["file"] == before["file"]  # no new file chosen: the photo stays
    assert client.get(after["file"].removeprefix("https://campaign.example")).status_code == 200

    assert "Handed to the High Commissioner, Geneva" in client.get("/en/timeline").get_data(as_text=True)
    assert "Remise au Haut-Commissaire, Genève" in client.get("/fr/timeline").get_data(as_text=True)
    arabic = client.get("/ar/timeline").get_data(as_text=True)
    assert "سُلّمت إلى المفوض السامي" not in arabic and "Handed to the High Commissioner, Geneva" in arabic

    entries = feed_entries(client)
    assert entry_id in entries  # the same entry for feed readers, updated
    edited = entries[entry_id]
    assert edited.findtext(f"{ATOM}title") == "Handed to the High Commissioner, Geneva"
    assert edited.findtext(f"{ATOM}published").startswith("2026-11-21T09:15:00")
    assert edited.findtext(f"{ATOM}updated") > updated_before
    assert edited.findtext(f"{ATOM}content") == "Twelve organisations handed it over."
    root = ElementTree.fromstring(client.get("/en/timeline.atom").get_data())
    assert root.findtext(f"{ATOM}updated") == edited.findtext(f"{ATOM}updated")  # the feed changed then
    assert feed_entries(client, "fr")[entry_id.replace("/en/", "/fr/")].findtext(f"{ATOM}title") \
        == "Remise au Haut-Commissaire, Genève"

    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "timeline.edited")).one()
    assert entry.before["event"] == entry.after["event"] == event_id
    assert entry.before["titles"] == {"en": "Handed to the UN High Commissioner for Human Rights, Geneva",
                                      "ar": "سُلّمت إلى المفوض السامي لحقوق الإنسان، جنيف"}
    assert entry.after["titles"]["fr"] == "Remise au Haut-Commissaire, Genève"
    assert entry.after["occurred_at"].startswith("2026-11-21T09:15") and "file" not in entry.after  # only what changed
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "Event on the timeline edited" in audit_page and "Remise au Haut-Commissaire" in audit_page


def test_an_unchanged_edit_records_nothing(app, admin_client, db):
    record(admin_client)
    event_id = db.session.scalar(select(TimelineEvent.id))
    saved = edit(admin_client, event_id)
    assert saved.status_code == 303
    assert "Nothing was changed." in admin_client.get(ADMIN_PAGE).get_data(as_text=True)
    assert db.session.get(TimelineEvent, event_id).updated_at is None
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "timeline.edited")) is None


def file_address(client) -> str | None:
    found = client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"][0]["file"]
    return found.removeprefix("https://campaign.example") if found else None


def test_editing_replaces_or_removes_the_file_and_deletes_the_old_one(app, admin_client, db):
    client = admin_client
    record(client, kind="response", link="", file=(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "reply.pdf"))
    event_id = db.session.scalar(select(TimelineEvent.id))
    first = file_address(client)
    assert 'accept="application/pdf"' in client.get(f"{ADMIN_PAGE}/timeline/{event_id}/edit").get_data(as_text=True)

    assert edit(client, event_id, file=(io.BytesIO(b"%PDF-1.7\nthe signed reply\n%%EOF\n"), "reply-2.pdf")).status_code == 303
    second = file_address(client)
    assert second != first and client.get(second).get_data() == b"%PDF-1.7\nthe signed reply\n%%EOF\n"
    assert client.get(first).status_code == 404  # replaced: the old file is deleted
    assert db.session.scalar(select(func.count()).select_from(TimelineFile)) == 1

    # A response needs a link or its PDF: removing the PDF alone is refused, and nothing changes.
    refused = edit(client, event_id, remove_file="y")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Give a link to the response, or its PDF below." in html
    assert re.search(r'<input[^>]*checked[^>]*name="remove_file"|<input[^>]*name="remove_file"[^>]*checked', html)
    assert file_address(client) == second

    assert edit(client, event_id, remove_file="y", link="www.ohchr.org/reply").status_code == 303
    assert file_address(client) is None and client.get(second).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(TimelineFile)) == 0
    edits = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "timeline.edited")
                               .order_by(AuditEntry.id)).all()
    assert [(each.before["file"] is not None, each.after["file"] is not None) for each in edits] == \
        [(True, True), (True, False)]
    assert 'name="remove_file"' not in client.get(f"{ADMIN_PAGE}/timeline/{event_id}/edit").get_data(as_text=True)


def test_a_photo_shown_by_another_event_stays_when_one_lets_it_go(app, admin_client, db):
    photo = photo_with_a_place_in_it()
    record(admin_client, file=(io.BytesIO(photo), "a.jpg"))
    record(admin_client, title_en="Handed to the Special Rapporteur", file=(io.BytesIO(photo), "a.jpg"))
    first, second = db.session.scalars(select(TimelineEvent.id).order_by(TimelineEvent.id)).all()
    address = file_address(admin_client)
    assert edit(admin_client, first, remove_file="y").status_code == 303
    assert admin_client.get(address).status_code == 200  # the other delivery still shows it
    assert db.session.get(TimelineEvent, second).file is not None


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_a_refused_edit_comes_back_as_it_was_typed_and_changes_nothing(app, admin_client, db, lang):
    client = admin_client
    record(client)
    event_id = db.session.scalar(select(TimelineEvent.id))
    refused = client.post(f"{ADMIN_PAGE}/timeline/{event_id}/edit", headers={"Accept-Language": lang}, data={
        "csrf_token": csrf_token(client, ADMIN_PAGE), "occurred_at": "soon", "title_en": "",
        "summary_en": "A summary typed again", "title_ar": "عنوان جديد مكتوب", "summary_ar": "", "link": "not a link",
    }, content_type="multipart/form-data")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "A summary typed again" in html and 'value="عنوان جديد مكتوب"' in html and 'value="not a link"' in html
    assert re.search(r'<input[^>]*name="occurred_at"[^>]*type="text"[^>]*value="soon"', html)
    for problem in ("Write the heading in the letter's original language: readers of every other language without "
                    "their own see it.", "Enter a web address, such as example.org."):
        assert translated(app, lang, problem).replace("'", "&#39;") in html
    assert translated(app, lang, "Enter a date and a time, such as %(example)s.", example="2027-03-08 17:00") in html
    wrong_file = edit(client, event_id, file=(io.BytesIO(b"%PDF-1.4\n"), "reply.pdf"), title_en="A new heading")
    assert wrong_file.status_code == 422
    assert "Choose a photo (JPEG, PNG or WebP)." in wrong_file.get_data(as_text=True)
    assert 'value="A new heading"' in wrong_file.get_data(as_text=True)
    texts = client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"][0]["texts"]
    assert texts["en"]["title"] == "Handed to the UN High Commissioner for Human Rights, Geneva"
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "timeline.edited")) is None


def test_a_file_over_the_limit_sends_the_edit_back_to_its_page(app, admin_client, db):
    from campaign.web.letter_forms import UPLOAD_MEGABYTES

    record(admin_client)
    event_id = db.session.scalar(select(TimelineEvent.id))
    big = io.BytesIO(b"\xff" * ((UPLOAD_MEGABYTES + 2) * 1024 * 1024))
    response = edit(admin_client, event_id, file=(big, "huge.jpg"))
    assert response.status_code == 303 and response.headers["Location"] == f"{ADMIN_PAGE}/timeline/{event_id}/edit"
    assert "so nothing was saved" in admin_client.get(response.headers["Location"]).get_data(as_text=True)


def test_events_ids_are_never_reused(app, admin_client, db):
    record(admin_client)
    first = admin_client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"][0]["id"]
    event_id = db.session.scalar(select(TimelineEvent.id))
    admin_client.post(f"{ADMIN_PAGE}/timeline/{event_id}/remove", data={"csrf_token": csrf_token(admin_client, ADMIN_PAGE)})
    record(admin_client)
    second = admin_client.get(f"/api/v1/letters/{SHIPPED_LETTER}/timeline").get_json()["data"][0]["id"]
    assert first != second


def test_a_response_needs_its_summary_and_a_link_or_pdf_and_events_need_a_sensible_date(app, admin_client, db):
    response = record(admin_client, kind="response", summary_en="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Sum up the response" in html and "Give a link to the response" in html
    too_late = record(admin_client, occurred_at="2099-01-01T00:00")
    assert too_late.status_code == 422 and "between the letter" in too_late.get_data(as_text=True)
    too_early = record(admin_client, occurred_at="1990-01-01T00:00")
    assert too_early.status_code == 422


def test_a_file_just_over_the_limit_comes_back_with_the_form(app, admin_client, db):
    from campaign.web.letter_forms import UPLOAD_MEGABYTES

    big = io.BytesIO(b"\xff" * (UPLOAD_MEGABYTES * 1024 * 1024 + 10))
    response = record(admin_client, file=(big, "big.jpg"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"The file is larger than {UPLOAD_MEGABYTES} MB: please choose a smaller one." in html
    assert "Handed to the UN High Commissioner" in html


def test_a_file_over_the_limit_says_so(app, admin_client, db):
    from campaign.web.letter_forms import UPLOAD_MEGABYTES

    big = io.BytesIO(b"\xff" * ((UPLOAD_MEGABYTES + 2) * 1024 * 1024))
    response = record(admin_client, file=(big, "huge.jpg"))
    assert response.status_code == 303
    page = admin_client.get(ADMIN_PAGE).get_data(as_text=True)
    assert f"The file is larger than {UPLOAD_MEGABYTES} MB, so nothing was saved." in page


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_the_timeline_page_is_translated(app, client, db, lang):
    html = client.get(f"/{lang}/timeline").get_data(as_text=True)
    assert translated(app, lang, "Timeline") in html
    assert translated(app, lang, "The letter was published") in html
    assert f'lang="{lang}"' in html


def test_an_edit_takes_a_file_as_large_as_adding_does(app, admin_client, db):
    """The edit form's body was held to the site's 64 KB: a real photo or PDF came back as 'larger
    than 25 MB' and the typed words were lost (an outsider's walk-through)."""
    record(admin_client, kind="response", link="", file=(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "reply.pdf"))
    event_id = db.session.scalar(select(TimelineEvent.id))
    large = b"%PDF-1.7\n" + b"0" * 300_000 + b"\n%%EOF\n"
    assert edit(admin_client, event_id, file=(io.BytesIO(large), "reply-2.pdf")).status_code == 303
    assert admin_client.get(file_address(admin_client)).get_data() == large


@pytest.mark.parametrize("action", ["edit", "remove"])
def test_an_event_id_out_of_range_is_no_page(app, admin_client, db, action):
    assert admin_client.get(f"{ADMIN_PAGE}/timeline/99999999999999999999/{action}").status_code == 404
    assert admin_client.post(f"{ADMIN_PAGE}/timeline/99999999999999999999/{action}").status_code in (400, 404, 405)


def test_a_feed_has_the_same_ids_at_the_short_and_the_letters_own_address(client, db):
    """A reader subscribed at ``/ar/timeline.atom`` would otherwise see every entry again (new ids)
    the day another letter is featured, or when they move to the letter's own address."""
    import re

    from .factories import SHIPPED_LETTER

    for short, own in (("/ar/timeline.atom", f"/ar/letters/{SHIPPED_LETTER}/timeline.atom"),
                       ("/ar/changes.atom", f"/ar/letters/{SHIPPED_LETTER}/changes.atom")):
        ids = [re.findall(r"<id>([^<]+)</id>", client.get(path).get_data(as_text=True)) for path in (short, own)]
        assert ids[0] == ids[1] and ids[0], short
        assert all(f"/letters/{SHIPPED_LETTER}/" in found for found in ids[0])
