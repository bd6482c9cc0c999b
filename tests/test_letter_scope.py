"""Two letters on one site: signing, listing, counting and exporting each touch only its own."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from campaign import letters
from campaign.mail import delivery
from campaign.models import Signature, SignatureStatus

from .factories import LTR_AND_RTL, SHIPPED_LETTER, form_fields, links_in, published, signature_data, write_letter_file

SECOND = "second-letter"
SECOND_TITLE = "A second letter about surveillance at borders"


@pytest.fixture
def second_letter(app, db, tmp_path):
    """A second, older letter: the shipped one stays featured at the short addresses."""
    folder = tmp_path / SECOND
    write_letter_file(folder, "en", SECOND_TITLE, "We ask for an end to **biometric** checks at borders.",
                      published="2020-01-15", contact="borders@example.org", drafted_by=["Border Watch"])
    write_letter_file(folder, "ar", "رسالة ثانية عن المراقبة على الحدود", "نطالب بإنهاء الفحوص البيومترية.",
                      translated_from="en")
    letters.load_letters(tmp_path, app.config["LANGUAGES"], list_drafters=False)
    return letters.letter_by_slug(SECOND)


def sign_at(client, prefix: str, **overrides):
    page = client.get(f"{prefix}/sign")
    assert page.status_code == 200
    return client.post(f"{prefix}/sign", data={**form_fields(page.get_data(as_text=True)),
                                               **signature_data(**overrides)})


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_signing_under_a_letter_signs_that_letter_and_its_links_stay_under_it(app, client, db, smtp, second_letter,
                                                                             lang):
    prefix = f"/{lang}/letters/{SECOND}"
    form = client.get(f"{prefix}/sign").get_data(as_text=True)
    assert "رسالة ثانية" in form if lang == "ar" else True
    assert f'action="{prefix}/sign"' in form, "the form posts back under its letter"
    response = sign_at(client, prefix, email="second@example.org")
    assert response.status_code == 303 and response.headers["Location"] == f"{prefix}/sign/check-your-inbox"
    signature = db.session.scalar(select(Signature))
    assert signature.letter_id == second_letter.id

    with app.app_context():
        delivery.deliver_due()
    [message] = smtp.wait_for(1)
    links = links_in(message.text)
    assert all(link.startswith(f"{prefix}/sign/") for link in links.values())
    assert SECOND_TITLE in message.text or lang == "ar"
    confirm_page = client.get(links["confirm"])
    confirmed = client.post(links["confirm"], data=form_fields_of_button(confirm_page))
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == f"{prefix}/sign/thank-you"


def form_fields_of_button(page) -> dict:
    import re

    return dict(re.findall(r'name="(csrf_token)" type="hidden" value="([^"]*)"', page.get_data(as_text=True)))


def test_a_link_of_one_letter_opens_nothing_under_another(app, client, db, smtp, second_letter):
    sign_at(client, f"/en/letters/{SECOND}", email="second@example.org")
    with app.app_context():
        delivery.deliver_due()
    [message] = smtp.wait_for(1)
    confirm = links_in(message.text)["confirm"]
    token = confirm.rsplit("/", 1)[1]
    assert client.get(f"/en/letters/{SHIPPED_LETTER}/sign/confirm/{token}").status_code == 404
    short = client.get(f"/en/sign/confirm/{token}")
    assert short.status_code == 200, "the short address opens the link's own letter"
    assert f"/en/letters/{SECOND}/sign/confirm/{token}" in short.get_data(as_text=True)


def test_lists_counts_exports_and_api_of_each_letter_are_its_own(app, client, db, second_letter):
    published(organisation="Featured Letter Org")
    other = published(organisation="Border Letter Org")
    other.letter_id = second_letter.id
    db.session.commit()
    from campaign.publication import counts

    counts.rebuild_counts(second_letter.id)
    counts.rebuild_counts(letters.letter_by_slug(SHIPPED_LETTER).id)
    db.session.commit()

    featured_list = client.get("/en/signatories").get_data(as_text=True)
    second_list = client.get(f"/en/letters/{SECOND}/signatories").get_data(as_text=True)
    assert "Featured Letter Org" in featured_list and "Border Letter Org" not in featured_list
    assert "Border Letter Org" in second_list and "Featured Letter Org" not in second_list
    assert f"/en/letters/{SECOND}/signatories.csv" in second_list

    rows = list(csv.DictReader(io.StringIO(client.get(f"/en/letters/{SECOND}/signatories.csv").get_data(as_text=True))))
    assert [row["organisation"] for row in rows] == ["Border Letter Org"]
    disposition = client.get(f"/en/letters/{SECOND}/signatories.csv").headers["Content-Disposition"]
    assert SECOND in disposition

    second_page = client.get(f"/en/letters/{SECOND}").get_data(as_text=True)
    assert SECOND_TITLE in second_page and f'href="/en/letters/{SECOND}/sign"' in second_page
    api = client.get(f"/api/v1/letters/{SECOND}/signatories").json
    assert [entry["organisation"] for entry in api["data"]] == ["Border Letter Org"]
    assert client.get(f"/api/v1/letters/{SECOND}").json["counts"]["total"] == 1


def test_cached_pages_are_kept_per_letter(app, client, db, second_letter):
    app.config["LETTER_PAGE_CACHE_SECONDS"] = 30
    first = client.get("/en/").get_data(as_text=True)
    second = client.get(f"/en/letters/{SECOND}").get_data(as_text=True)
    assert SECOND_TITLE in second and SECOND_TITLE not in first
    first_form = client.get("/en/sign").get_data(as_text=True)
    second_form = client.get(f"/en/letters/{SECOND}/sign").get_data(as_text=True)
    assert f'action="/en/letters/{SECOND}/sign"' in second_form and 'action="/en/sign"' in first_form
    second_list = client.get(f"/en/letters/{SECOND}/signatories").get_data(as_text=True)
    assert SECOND_TITLE in second_list and SECOND_TITLE not in client.get("/en/signatories").get_data(as_text=True)


def test_the_short_addresses_keep_working_for_the_featured_letter(app, client, db, smtp, second_letter):
    response = sign_at(client, "/en", email="featured@example.org")
    assert response.status_code == 303 and response.headers["Location"] == "/en/sign/check-your-inbox"
    signature = db.session.scalar(select(Signature))
    assert signature.letter_id == letters.letter_by_slug(SHIPPED_LETTER).id
    assert signature.status is SignatureStatus.PENDING
    with app.app_context():
        delivery.deliver_due()
    assert all(link.startswith("/en/sign/") for link in links_in(smtp.wait_for(1)[0].text).values())
