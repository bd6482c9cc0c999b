"""The sign form: labels and errors in the page's language, every bad input refused with nothing stored."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from campaign.models import OutboxMessage, Signature, SignatureStatus
from campaign.moderation import flags
from campaign.text import clean_text

from .factories import LTR_AND_RTL, form_fields, published, signature_data, translated, translated_plural


def nothing_stored(db) -> bool:
    return (
        db.session.scalar(select(func.count()).select_from(Signature)) == 0
        and db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    )


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_form_is_labelled_in_the_page_language(app, client, lang):
    response = client.get(f"/{lang}/sign")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public") and "Set-Cookie" not in response.headers
    for label in ("Your name", "Email address", "Country", "Publish my name on the list of signatories (optional)",
                  "Publish our organisation's name on the list (required)"):
        assert translated(app, lang, label) in html
    for field in ("kind", "name", "organisation", "role", "country", "city", "website", "email", "comment",
                  "consent_publish", "consent_updates", "started"):
        assert f'name="{field}"' in html
    assert 'aria-describedby="email-help"' in html


@pytest.mark.parametrize("lang, first, country", [("es", "AF", "Afganistán"), ("ar", None, "مصر"), ("de", None, "Ägypten")])
def test_countries_are_named_and_sorted_in_the_page_language(client, lang, first, country):
    html = client.get(f"/{lang}/sign").get_data(as_text=True)
    options = re.findall(r'<option value="([A-Z]{2})">([^<]+)</option>', html)
    assert len(options) > 240
    assert (options[0][0] == first) if first else True
    names = [name for _, name in options]
    assert country in names
    from campaign.text import fold_for_sorting

    assert names == sorted(names, key=fold_for_sorting)
    assert "EU" not in dict(options) and "ZZ" not in dict(options)


def post_form(client, lang="en", **overrides):
    page = client.get(f"/{lang}/sign").get_data(as_text=True)
    return client.post(f"/{lang}/sign", data={**form_fields(page), **signature_data(**overrides)})


BAD_INPUTS = [
    ({"kind": "robot"}, "kind"),
    ({"kind": None}, "kind"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "Amal\x00Haddad"}, "name"),
    ({"name": "Amal\x07"}, "name"),
    ({"name": "Amal\u0085"}, "name"),
    ({"organisation": "", "kind": "organisation"}, "organisation"),
    ({"organisation": "o" * 201}, "organisation"),
    ({"role": "r" * 201}, "role"),
    ({"country": "XX"}, "country"),
    ({"country": "EU"}, "country"),
    ({"country": "lb"}, "country"),
    ({"country": ""}, "country"),
    ({"city": "c" * 121}, "city"),
    ({"website": "javascript:alert(1)"}, "website"),
    ({"website": "ftp://files.example.org"}, "website"),
    ({"website": "https://user:pass@example.org"}, "website"),
    ({"website": "https://" + "w" * 500 + ".org"}, "website"),
    ({"email": ""}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"email": "Amal <amal@rights.example.org>"}, "email"),
    ({"email": "a@example.org, b@example.org"}, "email"),
    ({"email": "amal@[127.0.0.1]"}, "email"),
    ({"email": '"quoted"@example.org'}, "email"),
    ({"email": "amal@example.org\nBcc: victim@example.org"}, "email"),
    ({"email": "a" * 250 + "@example.org"}, "email"),
    ({"comment": "c" * 501}, "comment"),
    ({"comment": "bad\x00comment"}, "comment"),
    ({"consent_publish": None, "kind": "organisation"}, "consent_publish"),
]


@pytest.mark.parametrize("overrides, field", BAD_INPUTS)
def test_bad_input_is_refused_cleanly(app, client, db, overrides, field):
    response = post_form(client, **overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html or (field == "kind" and 'id="kind-error"' in html)
    assert 'class="error-summary"' in html
    assert nothing_stored(db)


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_errors_are_in_the_page_language_and_tied_to_fields(app, client, db, lang):
    response = post_form(client, lang, email="nope", name="")
    html = response.get_data(as_text=True)
    expected = translated(app, lang, "Enter a valid email address, such as name@example.org.")
    assert f'<p class="field__error" id="email-error">{expected}</p>' in html
    assert re.search(r'<input[^>]*aria-describedby="email-help email-error"[^>]*aria-invalid="true"', html) or \
        re.search(r'<input[^>]*aria-invalid="true"[^>]*aria-describedby="email-help email-error"', html)
    assert translated(app, lang, "Enter your name.") in html
    assert translated(app, lang, "Please correct the following:") in html
    assert nothing_stored(db)


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_length_limits_are_explained_in_the_page_language(app, client, db, lang):
    expected = translated_plural(app, lang, "Use at most %(num)s character.", "Use at most %(num)s characters.", 200)
    assert "%" not in expected and expected != "Use at most 200 characters."
    for _ in range(2):  # the second request reads the catalogues kept per process
        html = post_form(client, lang, name="n" * 201).get_data(as_text=True)
        assert f'<p class="field__error" id="name-error">{expected}</p>' in html
    assert nothing_stored(db)


def test_values_are_kept_when_the_form_comes_back(client):
    html = post_form(client, email="nope", organisation="منظمة الحقوق").get_data(as_text=True)
    assert 'value="منظمة الحقوق"' in html and 'value="nope"' in html


def test_an_individual_may_stay_unnamed(app, client, db):
    assert post_form(client, kind="individual", organisation=None, consent_publish=None, website=None).status_code == 303
    signature = db.session.scalar(select(Signature))
    assert signature.consent_publish is False and signature.organisation is None


def test_individuals_do_not_keep_a_website(app, client, db):
    post_form(client, kind="individual", website="https://me.example.org")
    assert db.session.scalar(select(Signature)).website is None


def test_text_is_normalised_and_bidi_controls_stripped(app, client, db):
    decomposed = "Jose\u0301 Garci\u0301a"
    response = post_form(client, name=decomposed, organisation="Rights\u202e Watch\u2066", city="  São   Paulo ")
    assert response.status_code == 303
    signature = db.session.scalar(select(Signature))
    assert signature.name == "José García"
    assert signature.organisation == "Rights Watch"
    assert signature.city == "São Paulo"


@pytest.mark.parametrize("typed, stored", [
    ("Access\u200b Now", "Access Now"),                # zero-width space
    ("Acc\u00adess\u2060 Now\u200d", "Access Now"),     # soft hyphen, word joiner, a joiner in Latin
    ("Access Now\U000e0041\U000e007f", "Access Now"),   # tag characters
    ("\u3164", None),                                  # a Hangul filler: a "blank" name
    ("A\u034fccess Now\ufeff", "Access Now"),           # combining grapheme joiner, byte-order mark
])
def test_invisible_characters_are_removed_from_names(typed, stored):
    assert clean_text(typed) == stored


@pytest.mark.parametrize("word", [
    "می\u200cخواهم",        # Persian: the non-joiner belongs in the word
    "क्\u200dष",             # Devanagari: the joiner after a virama makes a half form
    "ශ්\u200dරී",             # Sinhala: a joiner in a conjunct
])
def test_joiners_a_script_needs_are_kept_inside_its_words(word):
    assert clean_text(word) == word
    assert clean_text("Latin\u200c" + word) == "Latin" + word, "not at a script boundary"


def test_a_name_with_invisible_characters_is_stored_clean_and_warns_as_already_published(app, client, db):
    published(organisation="Access Now")
    assert post_form(client, organisation="Access\u200b N\u200dow", email="copy@elsewhere.example").status_code == 303
    signature = db.session.scalar(select(Signature).where(Signature.email_domain == "elsewhere.example"))
    assert signature.organisation == "Access Now"
    signature.organisation = "ACCESS\u200b NOW\u00ad"  # as stored before invisible characters were removed
    signature.status = SignatureStatus.VERIFIED
    db.session.commit()
    assert flags.ALREADY_PUBLISHED in flags.flags_for([signature])[0]


def test_repeated_parameters_are_refused(client, db):
    page = client.get("/en/sign").get_data(as_text=True)
    data = MultiDict([*form_fields(page).items(), *signature_data().items(), ("email", "other@example.org")])
    response = client.post("/en/sign", data=data)
    assert response.status_code == 422
    assert "repeated fields" in response.get_data(as_text=True)
    assert nothing_stored(db)


def test_unknown_fields_are_ignored(app, client, db):
    response = post_form(client, status="published", id="999", email_hash="x", letter_id="42")
    assert response.status_code == 303
    signature = db.session.scalar(select(Signature))
    assert signature.status.value == "pending" and signature.id != 999 and signature.email_hash != "x"


def test_oversized_bodies_get_413(app, client, db):
    response = post_form(client, comment="x" * 70_000)
    assert response.status_code == 413
    assert "<html" in response.get_data(as_text=True)
    assert nothing_stored(db)


@pytest.mark.parametrize("stamp, notice", [
    ("expired", "This form was open for a long time."),
    ("forged.stamp.x", "We could not check that this form came from our page"),
    ("", "We could not check that this form came from our page"),
])
def test_an_expired_or_forged_stamp_gives_the_form_back_not_a_bare_error(app, client, db, stamp, notice):
    from campaign.web.forms import new_form_stamp

    if stamp == "expired":  # made a day and an hour ago: past FLASK_SIGN_FORM_MAX_AGE_HOURS
        with app.test_request_context(), mock.patch("time.time", return_value=time.time() - 25 * 3600):
            stamp = new_form_stamp(scope="site:ban-biometric-surveillance")
    fields = form_fields(client.get("/en/sign").get_data(as_text=True))
    response = client.post("/en/sign", data={**fields, "started": stamp, **signature_data()})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert notice in html and 'value="amal@rights.example.org"' in html
    assert nothing_stored(db)
    again = client.post("/en/sign", data={**form_fields(html), **signature_data()})
    assert again.status_code == 303, "sent again from the form given back, it is stored"


def test_a_plain_post_without_token_is_given_the_form_to_submit_again(app, client, db):
    response = client.post("/en/sign", data=signature_data())
    assert response.status_code == 422
    assert nothing_stored(db)
    fields = form_fields(response.get_data(as_text=True))
    assert client.post("/en/sign", data={**fields, **signature_data()}).status_code == 303


def test_the_honeypot_drops_bots_silently(app, client, db):
    response = post_form(client, nickname="I am a bot")
    assert response.status_code == 303 and response.headers["Location"] == "/en/sign/check-your-inbox"
    assert nothing_stored(db)


def test_forms_returned_too_fast_come_back_filled_in_not_dropped(app, client, db):
    app.config["SIGN_MIN_SECONDS"] = 3
    response = post_form(client)
    assert response.status_code == 422 and 'value="amal@rights.example.org"' in response.get_data(as_text=True)
    assert nothing_stored(db), "stored once sent again (see test_signers)"


def test_the_minimum_time_can_be_turned_off(app, client, db):
    app.config["SIGN_MIN_SECONDS"] = 0
    assert post_form(client).status_code == 303
    assert not nothing_stored(db)


def test_names_render_isolated_for_bidirectional_text(app, client, db, smtp):
    from .factories import links_in
    from .test_signing import deliver

    assert post_form(client, "en", organisation="منظمة Rights 123", name="Karim").status_code == 303
    deliver(app)
    confirm = links_in(smtp.wait_for(1)[0].text)["confirm"]
    html = client.get(confirm).get_data(as_text=True)
    assert "<bdi>منظمة Rights 123</bdi>" in html and "<bdi>Karim</bdi>" in html


FIELDS = ["kind", "name", "organisation", "role", "country", "city", "website", "email", "comment",
          "consent_publish", "consent_updates"]
nasty_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(["\x00", "\u202e", "\ufeff", "\r\n", "organisation", "individual", "LB", "a@b.co", "y", ""]),
    st.builds(lambda n: "x" * n, st.integers(min_value=0, max_value=20_000)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, nasty_text)))
def test_arbitrary_input_never_fails_and_never_stores_refused_input(app, client, db, values):
    page = client.get("/en/sign").get_data(as_text=True)
    data = {**form_fields(page), **{k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in values.items()}}
    response = client.post("/en/sign", data=data)
    assert response.status_code in (303, 413, 422)
    if response.status_code != 303:
        assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    db.session.remove()


def test_the_cached_blank_form_is_the_same_for_every_reader_and_each_can_sign_with_it(app, db):
    """No session: the page is cached and replayed whole, and its stamp is everyone's token."""
    app.config["LETTER_PAGE_CACHE_SECONDS"] = 60
    first, second = app.test_client(), app.test_client()
    first_page = first.get("/ar/sign").get_data(as_text=True)
    second_page = second.get("/ar/sign").get_data(as_text=True)
    assert first_page == second_page and "\x00" not in second_page and 'dir="rtl"' in second_page
    fields = form_fields(second_page)
    assert "csrf_token" not in fields and fields["started"]
    assert first.post("/ar/sign", data={**fields, **signature_data(email="a@example.org")}).status_code == 303
    assert second.post("/ar/sign", data={**fields, **signature_data(email="b@example.org")}).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 2


def test_a_stamp_is_bound_to_its_letter_s_form(app, client, db):
    """A stamp made for the embedded form, or for another letter, does not sign through this one."""
    from campaign.web.forms import new_form_stamp

    with app.test_request_context():
        foreign = [new_form_stamp(scope="embed:ban-biometric-surveillance"), new_form_stamp(scope="site:another-letter")]
    page = client.get("/en/sign").get_data(as_text=True)
    for stamp in foreign:
        response = client.post("/en/sign", data={**form_fields(page), "started": stamp, **signature_data()})
        assert response.status_code == 422
    assert nothing_stored(db)


def test_the_list_of_problems_follows_each_languages_punctuation(app, client, db):
    """French puts a no-break space before the colon between a field's name and its problem."""
    html = post_form(client, "fr", email="nope", name="").get_data(as_text=True)
    assert re.search(r'<li><a href="#email">[^<:]+\u00a0: ', html), "« Adresse e-mail : … »"


def test_fields_made_once_per_language_carry_nothing_from_one_form_to_the_next(app):
    """The sign form's fields are copies of fields bound once per process and language
    (``forms._fresh_field``): each form has its own data and errors, belongs to itself, and speaks
    WTForms' own messages in its page's language."""
    from campaign.web.forms import site_signature_form

    typed = {**signature_data(email="not an address", name="First Signer"), "started": "x"}
    with app.test_request_context("/fr/sign", method="POST", data=typed):
        first = site_signature_form("ban-biometric-surveillance")
        assert not first.validate() and first.email.errors and first.name.data == "First Signer"
        french = first.kind.gettext("Not a valid choice.")
    with app.test_request_context("/fr/sign", method="POST", data={**typed, "name": "Second Signer"}):
        second = site_signature_form("ban-biometric-surveillance")
        assert second.name.data == "Second Signer" and first.name.data == "First Signer"
        assert second.email.errors == () and first.email.errors
    with app.test_request_context("/en/sign"):
        blank = site_signature_form("ban-biometric-surveillance")
        assert not blank.name.data and not blank.email.errors and not blank.validate()
        assert all(field._form is blank and field.meta is blank.meta for field in blank)
        assert blank.kind.gettext("Not a valid choice.") == "Not a valid choice." != french
    assert first.name is not second.name is not blank.name
