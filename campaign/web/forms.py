"""Forms validate input and never persist. Field names of the sign form are a public contract."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import idna
from babel import support
from email_validator import EmailNotValidError, ValidatedEmail, validate_email
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.form import BaseForm
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..models import SignatureKind
from ..signing.fields import FORM_CONTRACT, required_for
from ..signing.rows import mailbox
from ..text import UnsafeText, clean_text
from .i18n import country_choices, is_country
from .parameters import as_record_id, partner_code

FORM_STAMP_SALT = "sign-form-started"
HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
#: What ``Form.validate`` takes: more validators (``validator(form, field)``) per field name.
ExtraValidators = Mapping[str, Sequence[Callable[[Any, Any], object]]]


def single_line(value: str | None) -> str | None:
    try:
        return clean_text(value)
    except UnsafeText as error:
        raise ValueError(_l("This field contains characters that are not allowed.")) from error


def web_address(value: str | None) -> str | None:
    """A website as people type it ("example.org", "www.example.org/about", "http://…"), kept with
    its scheme (``https://`` when none was typed). Anything that is not a web address on a real
    host name is refused: no user name or password in it, no IP address, no stray characters."""
    if not value:
        return value
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or parts.username or parts.password or host_name(parts.hostname) is None:
        raise ValueError(_l("Enter a web address, such as example.org."))
    return value


def host_name(host: str | None) -> str | None:
    """``host`` in ASCII (IDNA 2008, UTS 46 mapping) if it is a host name on the public web: two
    labels or more, letters, digits and hyphens only, not an IP address; else ``None``."""
    if not host:
        return None
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    labels = ascii_host.split(".")
    if len(labels) < 2 or labels[-1].isdigit() or not all(HOST_LABEL.fullmatch(label) for label in labels):
        return None
    return ascii_host


#: How people copy their Mastodon server: with the scheme, a trailing slash, or their whole handle.
_TYPED_SCHEME = re.compile(r"https?://", re.IGNORECASE)
_TYPED_HANDLE = re.compile(r"@?[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*@")


def mastodon_server(typed: str | None) -> str | None:
    """The host name of a Mastodon server as a reader types it ("mastodon.social",
    "https://mastodon.social/", "@me@mastodon.social"); ``None`` for anything else: a path, a port,
    a query, an IP address, a name without a dot."""
    value = (typed or "").strip()
    for prefix in (_TYPED_SCHEME, _TYPED_HANDLE):
        found = prefix.match(value)
        value = value[found.end():] if found else value
    return host_name(value.removesuffix("/"))


def multi_line(value: str | None) -> str | None:
    try:
        return clean_text(value, multiline=True)
    except UnsafeText as error:
        raise ValueError(_l("This field contains characters that are not allowed.")) from error


@lru_cache(maxsize=16)
def _country_select_choices(locale_name: str) -> tuple[SelectChoice, ...]:
    return tuple(SelectChoice(code, name) for code, name in country_choices())


def country_select_choices() -> list[SelectChoice]:
    """The country choices as WTForms wants them, built once per language (the sign form renders its
    options from a cached ``<option>`` list; these serve validation and other forms)."""
    return list(_country_select_choices(str(get_locale() or "en")))


@dataclass(frozen=True)
class KindHelp:
    """Help that is not the same for an organisation and for an individual. The page shows the one
    for the kind chosen (by CSS alone, no script), and both, each saying whom it is for, until a
    kind is chosen."""

    organisation: object
    individual: object


def field_attributes(field: Field, **attributes: object) -> dict[str, object]:
    """HTML attributes tying a field to its help text and errors, for templates to splat."""
    described_by = []
    if isinstance(field.description, KindHelp):
        if not isinstance(field, BooleanField):  # a box's help by kind is its labels, not a description
            described_by += [f"{field.id}-help-organisation", f"{field.id}-help-individual"]
    elif field.description:
        described_by.append(f"{field.id}-help")
    if field.errors:
        described_by.append(f"{field.id}-error")
        attributes["aria-invalid"] = "true"
    if described_by:
        attributes["aria-describedby"] = " ".join(described_by)
    return {name: value for name, value in attributes.items() if value is not None}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["field_attributes"] = field_attributes
    app.jinja_env.tests["kind_help"] = lambda value: isinstance(value, KindHelp)


LOCAL_PART_OCTETS = 64


def checked_email(value: str) -> ValidatedEmail:
    """One plain address, syntax only: no DNS lookups, no display name, no quoted or IP forms.

    The part before the @ is held to SMTP's 64 octets (RFC 5321 4.5.3.1.1, in UTF-8 for SMTPUTF8):
    a longer one is refused by mail servers, so the confirm link would never arrive."""
    try:
        validated = validate_email(
            value, check_deliverability=False, allow_display_name=False, allow_quoted_local=False,
            allow_domain_literal=False,
        )
    except EmailNotValidError as error:
        raise ValidationError(_l("Enter a valid email address, such as name@example.org.")) from error
    if len(validated.local_part.encode()) > LOCAL_PART_OCTETS:
        raise ValidationError(_l(
            "The part before the @ is too long: mail servers take at most 64 characters there "
            "(an accented or non-Latin letter counts as two or more)."))
    return validated


def _form_stamper(scope: str = "") -> URLSafeTimedSerializer:
    """Signs the time a form was shown; keys oldest to newest, so a rotated key still verifies.
    ``scope`` binds the stamp to one form: a stamp made for one never verifies for another."""
    keys = [*current_app.config["SECRET_KEY_FALLBACKS"], current_app.config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=FORM_STAMP_SALT + scope)


def new_form_stamp(typed_seconds_ago: int = 0, scope: str = "") -> str:
    return _form_stamper(scope).dumps(int(time.time()) - typed_seconds_ago)


def at_most(characters: int) -> Length:
    """A length limit whose message comes from our catalogues (WTForms' own lack some plural forms)."""
    # TRANSLATORS: the limits are 120, 200, 254, 300, 500 and 2000. Arabic has six forms in CLDR's order: [0] zero,
    # [1] one, [2] two, [3] 3–10 (plural, genitive: أحرف), [4] 11–99 (singular, accusative: حرفًا),
    # [5] 100 and more (singular, genitive: حرف). See translations/GLOSSARY.md.
    return Length(max=characters, message=lazy_ngettext(
        "Use at most %(num)s character.", "Use at most %(num)s characters.", characters))


@lru_cache(maxsize=16)
def _wtforms_translations(locale_name: str) -> support.NullTranslations:  # null when WTForms has no catalogue
    return support.Translations.load(messages_path(), [locale_name], domain="wtforms")


class CampaignForm(FlaskForm):
    """WTForms' own messages in the reader's language, from one catalogue per language and process
    (Flask-WTF would read WTForms' catalogue from disk for every request with a form)."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: FlaskForm) -> support.NullTranslations:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _wtforms_translations(str(get_locale()))


#: Fields of the sign form as bound for each language: (unbound field, name, prefix, translations) → field.
_bound_prototypes: dict[tuple[UnboundField, str, str, object], Field] = {}


def _fresh_field(form: BaseForm, unbound_field: UnboundField, options: dict[str, Any]) -> Field:
    """A field for ``form``, copied from one bound once per process and language instead of bound anew.

    Binding runs a field's constructor (its label translated, its validators checked, its flags set):
    for the 14 fields of the sign form, on every GET and POST. What binding makes depends only on the
    field's declaration, its name and prefix and the language's WTForms catalogue, so each is made
    once; the copy shares what never changes per request (label, validators, filters, flags, choices)
    and gets its own form and meta. The data and errors are set on the copy by ``process`` and
    ``validate``; the kept field never sees a request (nor holds the form it was first made for)."""
    declared = getattr(type(form), options["name"], None) is unbound_field
    if not declared:  # made for this form alone (a CSRF token's field)
        return unbound_field.bind(form=form, **options)
    key = (unbound_field, options["name"], options["prefix"], options["translations"])
    prototype = _bound_prototypes.get(key)
    if prototype is None:
        prototype = unbound_field.bind(form=form, **options)
        prototype._form = prototype.meta = None
        _bound_prototypes[key] = prototype
    field = object.__new__(type(prototype))  # ``Field.__new__`` would make an unbound field
    field.__dict__.update(prototype.__dict__)
    field._form, field.meta = form, form.meta
    return field


class SignatureForm(CampaignForm):
    class Meta(CampaignForm.Meta):
        def bind_field(self, form: BaseForm, unbound_field: UnboundField, options: dict[str, Any]) -> Field:
            return _fresh_field(form, unbound_field, options)

    kind = RadioField(
        _l("I sign as"),
        choices=[SelectChoice("organisation", _l("An organisation")), SelectChoice("individual", _l("An individual"))],
        validators=[InputRequired(message=_l("Choose whether you sign as an organisation or an individual."))],
    )
    organisation = StringField(
        _l("Organisation"),
        filters=[single_line],
        validators=[Optional(), at_most(200)],
        description=KindHelp(
            _l("Organisations: its name, as it will appear on the list (required)."),
            _l("Individuals: an organisation you belong to, if you like, shown beside your name for identification only."),
        ),
    )
    name = StringField(
        _l("Your name"),
        filters=[single_line],
        validators=[DataRequired(message=_l("Enter your name.")), at_most(200)],
        description=KindHelp(
            _l("Organisations: the contact person. This name is never published."),
            _l("Individuals: your name as it will appear on the list, if you choose to be named."),
        ),
    )
    role = StringField(
        _l("Title or role (optional)"), filters=[single_line], validators=[Optional(), at_most(200)],
        description=KindHelp(
            _l("Organisations: the contact person's title. It is never published."),
            _l("Individuals: shown beside your name and affiliation on the list."),
        ),
    )
    country = SelectField(
        _l("Country"),
        validators=[InputRequired(message=_l("Choose a country."))],
        validate_choice=False,
    )
    city = StringField(_l("City (optional)"), filters=[single_line], validators=[Optional(), at_most(120)])
    website = URLField(
        _l("Website (optional, organisations)"),
        filters=[single_line, web_address],
        validators=[Optional(), at_most(500)],
        description=_l("Shown on the list beside the organisation's name, such as example.org."),
    )
    email = EmailField(
        _l("Email address"),
        filters=[single_line],
        validators=[DataRequired(message=_l("Enter your email address.")), at_most(254)],
        description=_l("We send a link to confirm your signature. Your address is never published."),
    )
    comment = TextAreaField(
        _l("Comment for the moderators (optional)"),
        filters=[multi_line],
        validators=[Optional(), at_most(500)],
        description=_l("At most 500 characters. Only moderators see it."),
    )
    consent_publish = BooleanField(
        _l("Publication on the list"),
        description=KindHelp(_l("Publish our organisation's name on the list (required)"),
                             _l("Publish my name on the list of signatories (optional)")),
    )
    consent_updates = BooleanField(_l("Send me news about the campaign (optional)"))
    started = HiddenField()
    #: The partner whose link or embedded form this came through (``?via=``), kept as the form goes back and forth.
    via = HiddenField(filters=[partner_code])
    nickname = StringField(_l("Leave this field empty"), filters=[single_line])

    #: Binds the time stamp to this form (see ``_form_stamper``); the embedded form sets its own.
    stamp_scope = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source = kwargs.get("formdata")
        if source is None and has_request_context() and request.method == "POST":
            source = request.form
        self.repeated_fields = [name for name in FORM_CONTRACT
                                if source is not None and len(source.getlist(name)) > 1]
        self.country.choices = country_select_choices()
        self.validated_email: ValidatedEmail | None = None
        self._shown_at_checked: int | None = None
        if not self.started.data:
            self.started.data = new_form_stamp(scope=self.stamp_scope)

    def validate_country(self, field: Field) -> None:
        if not is_country(field.data):
            raise ValidationError(_l("Choose a country from the list."))

    def validate_email(self, field: Field) -> None:
        if not field.data:
            return
        self.validated_email = checked_email(field.data)

    def validate(self, extra_validators: ExtraValidators | None = None) -> bool:
        valid = super().validate(extra_validators)
        if self.kind.data == "organisation":
            if not self.organisation.data and not self.organisation.errors:
                self.organisation.errors.append(_l("Enter the name of the organisation."))
                valid = False
            if not self.consent_publish.data:
                self.consent_publish.errors.append(_l("An organisation's signature is public. Please tick this box to sign."))
                valid = False
        if self.repeated_fields:
            self.form_errors.append(_l("The form was sent with repeated fields. Please submit it again."))
            valid = False
        return valid

    def seconds_since_shown(self) -> float | None:
        """How long ago the form was shown to this person, or ``None`` without a valid stamp."""
        try:
            started = self._shown_at()
        except BadSignature:
            return None
        return time.time() - int(started)

    def _shown_at(self) -> int:
        """The stamp's signed time, checked once per form (the bot check and the validity check both ask)."""
        if self._shown_at_checked is None:
            self._shown_at_checked = _form_stamper(self.stamp_scope).loads(
                self.started.data or "", max_age=current_app.config["SIGN_FORM_MAX_AGE_HOURS"] * 3600
            )
        return self._shown_at_checked

    def stamp_is_valid(self) -> bool:
        return not current_app.config["SIGN_MIN_SECONDS"] or self.seconds_since_shown() is not None

    def stamp_expired(self) -> bool:
        """The stamp is ours but too old (the form was open for long), as opposed to missing or not ours."""
        try:
            self._shown_at()
        except SignatureExpired:
            return True
        except BadSignature:
            return False
        return False

    def restamp(self, typed_already: bool = False) -> None:
        """A fresh time stamp, for a form given back because its own was missing or too old; a form
        given back already typed (to correct one field) may be sent again at once."""
        self.started.data = new_form_stamp(current_app.config["SIGN_MIN_SECONDS"] if typed_already else 0,
                                           scope=self.stamp_scope)
        self._shown_at_checked = None

    def is_trap(self) -> bool:
        """The hidden field no person sees was filled in: a bot, answered as if it had signed."""
        return bool(self.nickname.data)

    def came_back_too_fast(self) -> bool:
        """Faster than a person types: a browser or a password manager filled it in. Such a form is
        given back to be checked and sent again, never dropped (people use autofill)."""
        minimum = current_app.config["SIGN_MIN_SECONDS"]
        elapsed = self.seconds_since_shown()
        return bool(minimum) and elapsed is not None and elapsed < minimum


def site_signature_form(slug: str, **kwargs: Any) -> SignatureForm:
    """The site's own sign form (``/<lang>/sign``, ``/<lang>/letters/<slug>/sign``): no session and
    no session-bound CSRF token, so its page is the same for every reader, served from the cache and
    replayed like the letter page, and sets no cookie. Its anti-forgery token is the time stamp made
    with the page: signed, expiring, bound to this letter's form. A form that can be posted by
    anyone who can read it gains nothing from a session-bound token; what protects a person is the
    emailed confirmation link."""
    return StampedSignatureForm(stamp_scope=f"site:{slug}", meta={"csrf": False}, **kwargs)


def embedded_signature_form(slug: str, **kwargs: Any) -> SignatureForm:
    """The sign form as partner sites frame it (``/embed/<slug>/sign``): like the site's own, no
    session (browsers that block third-party cookies would break it), its stamp bound to this
    letter's embedded form."""
    return StampedSignatureForm(stamp_scope=f"embed:{slug}", meta={"csrf": False}, **kwargs)


class StampedSignatureForm(SignatureForm):
    """A sign form whose anti-forgery token is its time stamp, always required."""

    def __init__(self, *args: Any, stamp_scope: str, **kwargs: Any) -> None:
        self.stamp_scope = stamp_scope
        super().__init__(*args, **kwargs)
        #: A post must bring the stamp its page gave (the form stamps itself when none came).
        self.stamp_sent = request.method != "POST" or bool(request.form.get("started"))

    def stamp_is_valid(self) -> bool:
        """Sent once, signed for this form and not expired (other repeated fields are refused by ``validate``)."""
        return self.stamp_sent and "started" not in self.repeated_fields and self.seconds_since_shown() is not None

    def stamp_problem(self) -> str | None:
        """What the page tells a person whose stamp did not pass: ``stale`` (ours, but the form was open
        too long) or ``unchecked`` (missing, repeated or not ours: a copy of the form on another site)."""
        if self.stamp_is_valid():
            return None
        return "stale" if self.stamp_sent and self.stamp_expired() else "unchecked"

    def restamp(self, typed_already: bool = False) -> None:
        super().restamp(typed_already)
        self.stamp_sent = True


class EmailForm(CampaignForm):
    """Asks for the address again, e.g. to send a fresh link for an expired one."""

    email = EmailField(
        _l("Email address"),
        filters=[single_line],
        validators=[DataRequired(message=_l("Enter your email address.")), at_most(254)],
    )
    validated_email: ValidatedEmail | None = None

    def validate_email(self, field: Field) -> None:
        self.validated_email = checked_email(field.data)




class AdminLoginForm(CampaignForm):
    email = StringField(_l("Email address"), filters=[single_line], validators=[DataRequired(), at_most(254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), at_most(1024)])
    code = StringField(
        _l("Code from your authenticator app"), filters=[single_line], validators=[Optional(), at_most(10)],
        description=_l("Six digits; a code works once."),
    )


class AccountInviteForm(CampaignForm):
    """A new moderator or admin (admins only): who, and with which role."""

    email = EmailField(_l("Email address"), filters=[single_line], validators=[DataRequired(), at_most(254)])
    role = RadioField(_l("Role"), validators=[InputRequired()], default="moderator")

    def validate_email(self, field: Field) -> None:
        field.data = mailbox(checked_email(field.data))  # as the account will be stored and mailed


class AccountSetupForm(CampaignForm):
    """What a one-time account link asks for; the page shows the fields its purpose needs."""

    current_password = PasswordField(_l("Your current password"), validators=[Optional(), at_most(1024)])
    new_password = PasswordField(
        _l("New password"), validators=[Optional(), at_most(1024)],
        description=_l("At least 12 characters. A passphrase of several unrelated words is easy to remember."),
    )
    repeat_password = PasswordField(_l("New password again"), validators=[Optional(), at_most(1024)])
    code = StringField(
        _l("Code from your authenticator app"), filters=[single_line], validators=[Optional(), at_most(10)],
        description=_l("Six digits, from the app in which you added this account."),
    )

    def validate_repeat_password(self, field: Field) -> None:
        if self.new_password.data and field.data != self.new_password.data:
            raise ValidationError(_l("The two passwords differ. Type the same password twice."))


class FirstFilledField(StringField):
    """A text field the page shows more than once (the decision bar at the top and at the bottom of
    the queue): the one that was filled in counts."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata([next((value for value in valuelist if str(value).strip()), "")])


class DecisionForm(CampaignForm):
    """Approve or reject one or several signatures from the queue (the buttons carry the decision)."""

    ids = SelectMultipleField(coerce=as_record_id, validate_choice=False)
    decision = RadioField(choices=[SelectChoice("approve", _l("Approve")), SelectChoice("reject", _l("Reject"))],
                          validators=[InputRequired()])
    reason = FirstFilledField(_l("Reason for rejecting"), filters=[single_line], validators=[Optional(), at_most(500)])
    tell_signer = BooleanField(_l("Tell the signer by email, with this reason"))

    def validate(self, extra_validators: ExtraValidators | None = None) -> bool:
        valid = super().validate(extra_validators)
        if self.decision.data == "reject" and not self.reason.data:
            self.reason.errors.append(_l("Give a reason for rejecting."))
            valid = False
        if not self.ids.data:
            self.ids.errors.append(_l("Select at least one signature."))
            valid = False
        return valid


class ImportForm(CampaignForm):
    """A CSV of signatories to preview (admins)."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
    letter = SelectField(_l("Letter"), validators=[InputRequired()])


class ImportConfirmForm(CampaignForm):
    """The previewed file, sent back to be imported."""

    letter = SelectField(validators=[InputRequired()])
    content = TextAreaField(validators=[InputRequired()])
    source_name = HiddenField(filters=[single_line], validators=[Optional(), at_most(200)])


class EditSignatureForm(CampaignForm):
    """The published fields a moderator may correct."""

    name = StringField(_l("Name"), filters=[single_line], validators=[Optional(), at_most(200)])
    organisation = StringField(_l("Organisation"), filters=[single_line], validators=[Optional(), at_most(200)])
    role = StringField(_l("Title or role"), filters=[single_line], validators=[Optional(), at_most(200)])
    country = SelectField(_l("Country"), validate_choice=False)
    city = StringField(_l("City"), filters=[single_line], validators=[Optional(), at_most(120)])
    website = URLField(_l("Website"), filters=[single_line, web_address], validators=[Optional(), at_most(500)])

    def __init__(self, *args: Any, kind: SignatureKind, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.country.choices = country_select_choices()

    def validate_country(self, field: Field) -> None:
        if not is_country(field.data):
            raise ValidationError(_l("Choose a country from the list."))


    def validate(self, extra_validators: Any = None) -> bool:
        """A correction cannot empty what the list shows the signature by."""
        valid = super().validate(extra_validators)
        for name in required_for(self.kind):
            field = self[name]
            if not field.data and not field.errors:
                field.errors.append(_l("This field cannot be empty."))
                valid = False
        return valid


class ReasonForm(CampaignForm):
    reason = StringField(_l("Reason (optional)"), filters=[single_line], validators=[Optional(), at_most(500)])


class PartnerForm(CampaignForm):
    """A coalition partner to credit: its name (for admins) and the code its links carry."""

    name = StringField(_l("Partner's name"), filters=[single_line],
                       validators=[DataRequired(message=_l("Enter the partner's name.")), at_most(200)])
    code = StringField(
        _l("Code for its links"), filters=[single_line],
        validators=[DataRequired(message=_l("Enter a code for the partner's links."))],
        description=_l("Lower-case letters, digits and hyphens, at most 40, such as rights-network. "
                       "It is in the partner's links: choose one it may show."),
    )

    def validate_code(self, field: Field) -> None:
        if field.data and partner_code(field.data) != field.data:
            raise ValidationError(_l("Use only lower-case letters, digits and hyphens (at most 40, "
                                     "not starting or ending with a hyphen)."))


class MastodonForm(CampaignForm):
    """The reader's Mastodon server, to give them a link that opens a post there. It is sent with
    GET and changes nothing, so it carries no CSRF token (and the page sets no cookie)."""

    class Meta(CampaignForm.Meta):
        csrf = False

    instance = StringField(
        _l("Your Mastodon server"),
        filters=[single_line],
        validators=[DataRequired(message=_l("Enter the address of your Mastodon server.")), at_most(300)],
        description=_l("The part of your handle after the second @, such as mastodon.social."),
    )
    server: str | None = None

    def validate_instance(self, field: Field) -> None:
        self.server = mastodon_server(field.data)
        if self.server is None:
            raise ValidationError(_l("This is not the address of a server. Enter only its name, such as mastodon.social."))


class UpdateTextForm(CampaignForm):
    """An update in one language: its subject and its Markdown body (links and images are not
    rendered in the email: it links to nothing but the site)."""

    subject = StringField(_l("Subject"), filters=[single_line],
                          validators=[DataRequired(message=_l("Enter a subject.")), at_most(200)])
    body = TextAreaField(_l("Message (Markdown: paragraphs, **bold**, *italics*, lists)"), filters=[multi_line],
                         validators=[DataRequired(message=_l("Write the message.")), at_most(20000)])


class ButtonForm(CampaignForm):
    """A form that is only a button and its CSRF token: e.g. confirming, so link scanners that
    merely open a page change nothing."""
