"""The public list: only published entries, consent respected, filters, search, keyset pages, counts, charts."""

from __future__ import annotations

import csv
import io
import re

import pytest

from campaign.moderation import decisions as moderation

from .factories import make_admin, make_signature, published, translated, translated_plural


def names_in(html: str) -> list[str]:
    return re.findall(r'<span class="signatory__name"><bdi>([^<]+)</bdi></span>', html)


def test_only_published_entries_appear_in_both_sections(app, client, db):
    published(organisation="Published Org", name="Contact Person Secret", email="contact@secret.example",
              comment="private note for moderators", website="https://www.published.example")
    published(kind="individual", name="Named Person", organisation="Some University")
    make_signature(status="verified", organisation="Waiting Org")
    make_signature(status="pending", organisation="Unconfirmed Org")
    rejected = make_signature(status="verified", organisation="Rejected Org")
    moderation.reject([rejected.id], make_admin(), "spam")
    html = client.get("/en/signatories").get_data(as_text=True)
    assert names_in(html) == ["Published Org", "Named Person"]
    assert '<span class="signatory__affiliation"><bdi>Some University</bdi></span>' in html
    assert ('<a class="signatory__site" href="https://www.published.example" rel="nofollow ugc noopener" dir="ltr">'
            'published.example</a>') in html
    for private in ("Contact Person Secret", "contact@secret.example", "secret.example", "private note", "Waiting Org",
                    "Unconfirmed Org", "Rejected Org"):
        assert private not in html


def test_individuals_without_consent_are_only_counted(app, client, db):
    published(kind="individual", name="Visible Person")
    published(kind="individual", name="Hidden Person", consent_publish=False)
    html = client.get("/en/signatories").get_data(as_text=True)
    assert "Visible Person" in html and "Hidden Person" not in html
    assert "2 individuals" in html
    assert "1 individual chose to be counted without being named." in html


def test_drafting_organisations_come_first(app, client, db):
    published(organisation="Aardvark Alliance")
    drafter = published(organisation="Zeta Rights Watch")
    moderation.set_drafter(drafter.id, make_admin(), True)
    html = client.get("/en/signatories").get_data(as_text=True)
    drafters = html.split('id="drafters-heading"', 1)[1].split("</section>", 1)[0]
    assert names_in(drafters) == ["Zeta Rights Watch"]
    assert names_in(html)[:2] == ["Zeta Rights Watch", "Aardvark Alliance"]
    assert names_in(html).count("Zeta Rights Watch") == 1


def test_filter_by_country_with_names_in_the_page_language(app, client, db):
    published(organisation="Cairo Org", country="EG")
    published(organisation="Berlin Org", country="DE")
    html = client.get("/ar/signatories?country=EG").get_data(as_text=True)
    assert names_in(html) == ["Cairo Org"]
    assert '<option value="EG" selected>مصر</option>' in html
    assert '<span class="signatory__country">مصر</span>' in html


@pytest.mark.parametrize("search", ["sao paulo", "SÃO PAULO", "Paulo", "são"])
def test_search_ignores_case_and_accents(app, client, db, search):
    published(organisation="Coletivo São Paulo")
    published(organisation="Rio Collective")
    assert names_in(client.get(f"/en/signatories?q={search}").get_data(as_text=True)) == ["Coletivo São Paulo"]


def test_search_never_matches_an_organisation_contact_person(app, client, db):
    published(organisation="Quiet Org", name="Fatima Contact")
    assert names_in(client.get("/en/signatories?q=fatima").get_data(as_text=True)) == []


def test_sort_by_name_or_by_date(app, client, db):
    for name in ("Charlie Org", "Alpha Org", "Bravo Org"):
        published(organisation=name)
    assert names_in(client.get("/en/signatories?kind=organisation").get_data(as_text=True)) == \
        ["Alpha Org", "Bravo Org", "Charlie Org"]
    assert names_in(client.get("/en/signatories?kind=organisation&sort=date").get_data(as_text=True)) == \
        ["Bravo Org", "Alpha Org", "Charlie Org"]


def follow(client, html: str, rel: str) -> str:
    link = re.search(rf'href="([^"]+)" rel="{rel}"', html)
    return client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True) if link else ""


@pytest.mark.parametrize("sort", ["name", "date"])
def test_cursor_pagination_forwards_and_back(app, client, db, sort):
    for number in range(250):
        published(organisation=f"Org {number:03d}")
    first = client.get(f"/en/signatories?kind=organisation&sort={sort}").get_data(as_text=True)
    second = follow(client, first, "next")
    third = follow(client, second, "next")
    pages = [names_in(page) for page in (first, second, third)]
    assert [len(page) for page in pages] == [100, 100, 50]
    everything = pages[0] + pages[1] + pages[2]
    assert len(set(everything)) == 250
    expected = sorted(everything) if sort == "name" else sorted(everything, reverse=True)
    assert everything == expected
    assert 'rel="next"' not in third and 'rel="prev"' not in first
    assert names_in(follow(client, third, "prev")) == pages[1]
    assert names_in(follow(client, follow(client, third, "prev"), "prev")) == pages[0]


def test_a_malformed_cursor_starts_from_the_top(app, client, db):
    published(organisation="Only Org")
    for cursor in ("garbage", "%%%", "W1tdXQ", "eyJhIjoxfQ", "x" * 5000):
        response = client.get(f"/en/signatories?kind=organisation&after={cursor}")
        assert response.status_code == 200 and names_in(response.get_data(as_text=True)) == ["Only Org"]


def totals(html: str) -> str:
    return html.split('class="totals"', 1)[1].split("</div>", 1)[0]


def test_counts_follow_approve_hide_and_withdraw(app, client, db, smtp):
    moderator = make_admin()
    first = published(organisation="One")
    published(organisation="Two")
    assert "2 signatures" in totals(client.get("/en/signatories").get_data(as_text=True))
    moderation.hide(first.id, moderator, "")
    assert "1 signature" in totals(client.get("/en/signatories").get_data(as_text=True))
    moderation.restore(first.id, moderator)
    assert "2 signatures" in totals(client.get("/en/signatories").get_data(as_text=True))

    from .factories import links_in, sign
    from .test_signing import csrf_of, deliver

    sign(client, organisation="Three")
    deliver(app)
    links = links_in(smtp.wait_for(1)[0].text)
    client.post(links["confirm"], data=csrf_of(client, links["confirm"]))
    from sqlalchemy import select

    from campaign.models import Signature

    third = db.session.scalar(select(Signature).where(Signature.organisation == "Three"))
    moderation.approve([third.id], moderator)
    assert "3 signatures" in totals(client.get("/en/signatories").get_data(as_text=True))
    client.post(links["withdraw"], data=csrf_of(client, links["withdraw"]))
    html = client.get("/en/signatories").get_data(as_text=True)
    assert "2 signatures" in totals(html) and "Three" not in names_in(html)
    assert "2 signatures published" in client.get("/en/").get_data(as_text=True)


def test_counts_come_from_tallies_not_the_table(app, client, db):
    from campaign.models import PublishedTally

    published(organisation="Counted")
    tally = db.session.query(PublishedTally).one()
    tally.count = 41
    db.session.commit()
    assert "41 signatures" in totals(client.get("/en/signatories").get_data(as_text=True))


def test_charts_are_svg_with_table_alternatives(app, client, db):
    import datetime as dt

    from campaign.models import PublishedDay

    published(organisation="Cairo Org", country="EG")
    published(organisation="Lima Org", country="PE")
    published(kind="individual", name="Lima Person", country="PE")
    letter_id = db.session.query(PublishedDay).first().letter_id
    db.session.add(PublishedDay(letter_id=letter_id, day=dt.date(2026, 1, 5), count=4))
    db.session.commit()
    html = client.get("/es/signatories").get_data(as_text=True)
    svgs = re.findall(r"<svg [^>]*>", html)
    assert len(svgs) == 2 * 2, "two charts, each drawn wide and compact"
    assert all('role="img"' in svg and "aria-label=" in svg for svg in svgs)
    assert "<script" not in html and "style=" not in html
    tables = re.findall(r"<table>.*?</table>", html, re.S)
    assert len(tables) == 2
    assert "<td>Perú</td><td>2</td>" in tables[1] and "<td>Egipto</td><td>1</td>" in tables[1]
    assert tables[1].index("Perú") < tables[1].index("Egipto")
    assert re.search(r"<td>4</td><td>4</td>", tables[0]) and re.search(r"<td>3</td><td>7</td>", tables[0])


@pytest.mark.parametrize("lang", ["es", "ar"])
def test_list_is_translated_and_lays_out_in_the_page_direction(app, client, db, lang):
    published(organisation="منظمة الحقوق")
    html = client.get(f"/{lang}/signatories").get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in html
    assert translated(app, lang, "Signatories") in html and translated(app, lang, "Drafting organisations") not in html
    assert "<bdi>منظمة الحقوق</bdi>" in html
    assert 'hreflang="x-default"' in html


def test_csv_has_public_fields_only_and_is_formula_safe(app, client, db):
    published(organisation="=cmd|' /C calc'!A0", name="Secret Contact", email="leak@example.org", comment="secret",
              website="https://org.example")
    published(kind="individual", name="+Named Person", organisation="Affiliation")
    published(kind="individual", name="Unnamed Person", consent_publish=False)
    response = client.get("/es/signatories.csv")
    assert response.status_code == 200 and response.was_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data(as_text=True)
    assert not text.startswith("\ufeff"), "open data for programs: no spreadsheet mark"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["organisation"] for row in rows][:1] == ["'=cmd|' /C calc'!A0"]
    assert rows[1]["name"] == "'+Named Person" and rows[1]["country_name"] == "Brasil"
    assert rows[0]["website"] == "https://org.example" and rows[1]["website"] == ""
    assert rows[0]["drafter"] == "no" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", rows[0]["published_on"])
    for private in ("Secret Contact", "leak@example.org", "secret", "Unnamed Person"):
        assert private not in text
    assert set(rows[0]) == {"kind", "name", "organisation", "role", "country", "country_name", "website",
                            "drafter", "published_on", "verified", "public_id"}


def test_csv_answers_conditional_requests(app, client, db):
    published(organisation="Cached Org")
    first = client.get("/en/signatories.csv")
    again = client.get("/en/signatories.csv", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    published(organisation="Another Org")
    assert client.get("/en/signatories.csv", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


@pytest.mark.parametrize("path", ["/en/signatories", "/ar/signatories?country=EG", "/en/signatories.csv", "/en/",
                                  "/embed/ban-biometric-surveillance/counter"])
def test_public_pages_are_cacheable_without_cookies(app, client, db, path):
    published(organisation="Any Org")
    response = client.get(path)
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=60, stale-while-revalidate=120, stale-if-error=600"
    assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_first_pages_are_cached_briefly_but_searches_never(app, client, db):
    app.config["LETTER_PAGE_CACHE_SECONDS"] = 60
    published(organisation="Early Org")
    assert "Early Org" in client.get("/en/signatories?kind=organisation").get_data(as_text=True)
    published(organisation="Later Org")
    assert "Later Org" not in client.get("/en/signatories?kind=organisation").get_data(as_text=True)
    assert "Later Org" in client.get("/en/signatories?kind=organisation&q=later").get_data(as_text=True)
    assert "Later Org" in client.get("/en/signatories?kind=organisation&sort=date").get_data(as_text=True)


def section_of(html: str, kind: str) -> str:
    return html.split(f'id="section-{kind}"', 1)[1].split("</section>", 1)[0]


def heading_count(section: str) -> int:
    heading = section.split("</h2>", 1)[0]
    return int(re.search(r'<span class="count">\((\d+)\)</span>', heading).group(1))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_individuals_section_counts_the_people_it_names(app, client, db, lang):
    published(kind="individual", name="Named One", country="EG")
    published(kind="individual", name="Named Two", country="DE")
    published(kind="individual", name="Unnamed One", consent_publish=False, country="EG")
    published(kind="individual", name="Unnamed Two", consent_publish=False, country="EG")
    published(organisation="Counted Org", country="EG")
    html = client.get(f"/{lang}/signatories").get_data(as_text=True)
    individuals = section_of(html, "individual")
    assert names_in(individuals) == ["Named One", "Named Two"]
    assert heading_count(individuals) == 2
    assert heading_count(section_of(html, "organisation")) == 1
    assert translated_plural(app, lang, "%(num)s individual chose to be counted without being named.",
                             "%(num)s individuals chose to be counted without being named.", 2) in html
    by_country = client.get(f"/{lang}/signatories?country=EG").get_data(as_text=True)
    assert names_in(section_of(by_country, "individual")) == ["Named One"]
    assert heading_count(section_of(by_country, "individual")) == 1
    only_individuals = client.get(f"/{lang}/signatories?kind=individual").get_data(as_text=True)
    assert heading_count(section_of(only_individuals, "individual")) == 2


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_an_individuals_role_is_shown_beside_their_affiliation_and_a_contacts_role_never(app, client, db, lang):
    published(kind="individual", name="Rima Person", organisation="Beirut University", role="Professor of Law")
    published(kind="individual", name="Sami Person", organisation=None, role="Independent journalist")
    published(organisation="Quiet Collective", name="Hidden Contact", role="Secret Treasurer")
    html = client.get(f"/{lang}/signatories").get_data(as_text=True)
    individuals = section_of(html, "individual")
    joined = translated(app, lang, "%(role)s, %(organisation)s", role="<bdi>Professor of Law</bdi>",
                        organisation="<bdi>Beirut University</bdi>")
    assert f'<span class="signatory__affiliation">{joined}</span>' in individuals
    assert '<span class="signatory__affiliation"><bdi>Independent journalist</bdi></span>' in individuals
    assert "Quiet Collective" in section_of(html, "organisation")
    for private in ("Secret Treasurer", "Hidden Contact"):
        assert private not in html
    assert "Secret Treasurer" not in client.get(f"/{lang}/signatories?q=treasurer").get_data(as_text=True)
