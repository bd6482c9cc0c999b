"""Campaign updates and change notices: written and approved in the browser, queued where the
private key lives.

The rules, and where they hold:

- **Two people see every mass email.** An update goes draft → awaiting → approved; ``approve``
  refuses its own author (and anyone but an admin), and each step is in the audit trail.
- **Addresses stay sealed until the moment of sending.** The server cannot open them: ``queue``
  is run by ``flask updates send ID --private-key FILE`` where the key lives; it opens each address
  in memory, writes one outbox row (erased once sent, as all mail is) and its ledger row
  (``UpdateDelivery``) in one transaction per batch. The key is never stored.
- **Each signer once.** The ledger's primary key is (update, signature), and a signer whose address
  already had this update (from another of their signatures of the letter) is skipped: a resumed
  run queues only whom the interrupted one had not.
- **Only who asked, not too often.** News goes to confirmed signatures (verified or published) that
  asked for it and have not stopped it; an address mailed an update within ``UPDATES_MIN_DAYS``
  is held back (counted, and reached by running the send again later). A change notice is
  transactional: every confirmed signer of the changed text, whatever their news choice.
- **Nothing that watches.** The Markdown is rendered without links or images; the only links are
  the site's own (the letter, the versions page, manage, withdraw, and the one-click stop).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import make_msgid
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from markupsafe import Markup
from sqlalchemy import Row, Select, exists, func, insert, select

from .. import crypto
from ..extensions import db
from ..lifecycle import versions
from ..models import (
    AdminRole,
    AdminUser,
    AuditEntry,
    EmailKind,
    Letter,
    OutboxMessage,
    Signature,
    SignatureKind,
    SignatureStatus,
    SignatureToken,
    TokenPurpose,
    Update,
    UpdateDelivery,
    UpdateKind,
    UpdateStatus,
    UpdateText,
    utcnow,
)
from ..moderation import audit
from ..signing import tokens
from ..web import i18n, skeletons

if TYPE_CHECKING:
    from ..letters import LoadReport

BATCH_SIZE = 1000
#: A change notice's words until an admin edits them (extracted here, translated when drafted).
CHANGE_NOTICE_BODY = _l(
    "The text of the letter you signed has changed since you signed it. The link below shows every word that "
    "changed. Your signature stays on the new text; if you no longer agree with it, you can withdraw it with "
    "the link at the end of this email.")
BULK_PRIORITY = 1
#: Confirmed signatures, not turned down by a moderator: whom updates and notices are for.
CONFIRMED = (SignatureStatus.VERIFIED, SignatureStatus.PUBLISHED)
#: The per-recipient links of each kind of update (the stop link of news is not a signature token).
LINK_PURPOSES = {
    UpdateKind.NEWS: (TokenPurpose.MANAGE,),
    UpdateKind.CHANGE_NOTICE: (TokenPurpose.WITHDRAW, TokenPurpose.MANAGE),
}


class UpdateError(Exception):
    """A step the update's state or the acting admin does not allow; the message says why."""


class ForeignLink(UpdateError):
    """An update's text names a web address off this site: mail programs make such text a link.
    ``field`` is where (``subject`` or ``body``), so that the form says it under the right one."""

    def __init__(self, message: object, field: str) -> None:
        super().__init__(message)
        self.field = field


#: What mail programs make a link of in plain text: an address with a scheme, one starting "www.",
#: or a domain name followed by a path ("bit.ly/abc"). A bare domain ("example.org") is left to the
#: admin: a sentence names organisations so, and a path is what makes it a page.
WEB_ADDRESS = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.|(?:[a-z0-9-]+\.)+[a-z]{2,}/)[^\s<>()\[\]]*")


def foreign_address(text: str) -> str | None:
    """The first web address in ``text`` that is not on this site, if any."""
    site = urlsplit(current_app.config["SITE_URL"])
    for found in WEB_ADDRESS.finditer(text):
        address = found.group(0).rstrip(".,;:!?'\"")
        parts = urlsplit(address if "://" in address else "//" + address)
        if parts.netloc.lower() != site.netloc.lower() or parts.scheme not in ("", site.scheme):
            return address
    return None


@dataclass
class SendReport:
    queued: int = 0  # emails, one per address
    signatures: int = 0  # the signatures they reach (an address that signed more than once: each of its own)
    held_back: int = 0  # addresses mailed an update within UPDATES_MIN_DAYS: not this time
    skipped: int = 0  # a signature whose address had this update already, or unreadable


# --- composing and approving ----------------------------------------------------------------


def _require_admin(actor: AdminUser) -> None:
    if actor.role is not AdminRole.ADMIN:
        raise UpdateError(_l("Only admins write and approve updates."))


def create(letter: Letter, actor: AdminUser) -> Update:
    _require_admin(actor)
    update = Update(letter_id=letter.id, kind=UpdateKind.NEWS, status=UpdateStatus.DRAFT, author_id=actor.id)
    db.session.add(update)
    db.session.flush()
    audit.record(actor, actor.email, "update.created", "update", update.id)
    db.session.commit()
    return update


def save_text(update: Update, language: str, subject: str, body: str, actor: AdminUser) -> None:
    """Write (or rewrite) the update in one language. An update asked for approval goes back to
    draft: what the approver sees is what goes."""
    _require_admin(actor)
    if not update.is_editable:
        raise UpdateError(_l("An approved update can no longer be changed."))
    for field, written in (("subject", subject), ("body", body)):
        foreign = foreign_address(written)
        if foreign is not None:
            raise ForeignLink(_l("An update links only to this site, and mail programs make a web address a link: "
                                 "take out %(address)s, or name the page in words.", address=foreign), field)
    text = next((text for text in update.texts if text.language == language), None)
    if text is None:
        text = UpdateText(language=language, subject=subject, body=body)
        update.texts.append(text)
    else:
        text.subject, text.body = subject, body
    back_to_draft = update.status is UpdateStatus.AWAITING  # its approval must be asked again: said in the trail
    if back_to_draft:
        update.status = UpdateStatus.DRAFT
    if update.author_id is None:  # a change notice drafted by ``letters load``: its editor is its author
        update.author_id = actor.id
    audit.record(actor, actor.email, "update.text_saved", "update", update.id,
                 before={"status": UpdateStatus.AWAITING.value} if back_to_draft else None,
                 after={"language": language, **({"status": UpdateStatus.DRAFT.value} if back_to_draft else {})})
    db.session.commit()


def ask_approval(update: Update, actor: AdminUser) -> None:
    _require_admin(actor)
    letter = db.session.get(Letter, update.letter_id)
    if update.status is not UpdateStatus.DRAFT:
        raise UpdateError(_l("Only a draft can be sent for approval."))
    if letter is None or not any(text.language == _fallback_language(update, letter) for text in update.texts):
        raise UpdateError(_l("Write the update in the letter's original language first."))
    update.status = UpdateStatus.AWAITING
    audit.record(actor, actor.email, "update.approval_asked", "update", update.id)
    db.session.commit()


def approve(update: Update, actor: AdminUser) -> None:
    """A second admin's approval: never the author's own."""
    _require_admin(actor)
    if update.status is not UpdateStatus.AWAITING:
        raise UpdateError(_l("Only an update awaiting approval can be approved."))
    if wrote(update, actor):
        # Recorded: two people see every mass email, and an attempt to be both is worth seeing.
        audit.record(actor, actor.email, "update.self_approval_refused", "update", update.id)
        db.session.commit()
        raise UpdateError(_l("Another admin must approve what you wrote."))
    update.status = UpdateStatus.APPROVED
    update.approver_id = actor.id
    update.approved_at = utcnow()
    audit.record(actor, actor.email, "update.approved", "update", update.id)
    db.session.commit()


def wrote(update: Update, actor: AdminUser) -> bool:
    """Whether ``actor`` wrote the update as it stands: the last to save one of its texts (an edit
    sends it back to draft, so what is approved is what its last writers saved). Read from the audit
    trail, which records every save, from the update's own start (SQLite may give a deleted update's
    id to a new one); an update with no save recorded is its author's."""
    last_writer: dict[str, int | None] = {}
    for actor_id, after in db.session.execute(select(AuditEntry.actor_id, AuditEntry.after).where(
            AuditEntry.target_type == "update", AuditEntry.target_id == update.id,
            AuditEntry.action == "update.text_saved", AuditEntry.created_at >= update.created_at,
    ).order_by(AuditEntry.id)):
        last_writer[(after or {}).get("language", "")] = actor_id
    writers = set(last_writer.values()) if last_writer else {update.author_id}
    return actor.id in writers


def discard(update: Update, actor: AdminUser) -> None:
    """Delete an update not yet being sent (a draft, one awaiting approval, or one approved and not
    sent: a mistake seen after approval is mended by deleting it and writing it again); the audit
    trail keeps its subjects. One whose sending has begun stays: some signers may have it."""
    _require_admin(actor)
    db.session.refresh(update, with_for_update=True)  # against `updates send` starting at this moment
    if not update.is_deletable:
        db.session.rollback()  # the row's lock goes with the refusal
        raise UpdateError(_l("An update whose sending has begun can no longer be deleted."))
    audit.record(actor, actor.email, "update.deleted", "update", update.id,
                 before={"subjects": {text.language: text.subject for text in update.texts}})
    db.session.delete(update)
    db.session.commit()


def send_test(update: Update, actor: AdminUser) -> None:
    """The update in each of its languages to the admin's own address, now (links are examples)."""
    _require_admin(actor)
    letter = db.session.get(Letter, update.letter_id)
    assert letter is not None
    for text in update.texts:
        subject, body_text, body_html = preview(update, text.language)
        with force_locale(i18n.describe(text.language).babel_locale):  # marked, in the update's language
            subject = gettext("[Test] %(subject)s", subject=subject)
        db.session.execute(insert(OutboxMessage.__table__), [{
            "kind": EmailKind.UPDATE_TEST.value, "recipient": actor.email, "subject": subject, "body_text": body_text,
            "body_html": body_html, "message_id": _message_id(), "next_attempt_at": utcnow(),
        }])
    audit.record(actor, actor.email, "update.test_sent", "update", update.id)
    db.session.commit()


# --- the email ------------------------------------------------------------------------------


def on_site(href: str) -> str | None:
    """``href`` as an absolute address if it is a page of this site (absolute, or a path from the
    site's root), else ``None``: an update's Markdown links lead nowhere else."""
    site = urlsplit(current_app.config["SITE_URL"])
    parts = urlsplit(href)
    if not parts.scheme and not parts.netloc and href.startswith("/") and not href.startswith("//"):
        return current_app.config["SITE_URL"].rstrip("/") + href
    if parts.scheme == site.scheme and parts.netloc.lower() == site.netloc.lower():
        return href
    return None


def _link_open(renderer: RendererHTML, tokens: list[Token], index: int, options: OptionsDict, env: dict) -> str:
    """A link to a page of the site, made absolute (the email is read away from the site); any
    other keeps its words and loses the link (and its closing tag, the next at its level)."""
    token = tokens[index]
    address = on_site(str(token.attrGet("href") or ""))
    if address is None:
        closing = next(later for later in tokens[index + 1:] if later.type == "link_close" and later.level == token.level)
        closing.meta["dropped"] = True
        return ""
    token.attrs = {"href": address}
    return renderer.renderToken(tokens, index, options, env)


def _link_close(renderer: RendererHTML, tokens: list[Token], index: int, options: OptionsDict, env: dict) -> str:
    return "" if tokens[index].meta.get("dropped") else renderer.renderToken(tokens, index, options, env)


def _image(renderer: RendererHTML, tokens: list[Token], index: int, options: OptionsDict, env: dict) -> str:
    """An image shows its description only: an update carries no image (nothing to load, nothing to track)."""
    return escapeHtml(renderer.renderInlineAsText(tokens[index].children or [], options, env))


class _EveryLinkParsed(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        """Every link is parsed (even ``javascript:``), so that ``_link_open`` judges it: a link it
        refuses still reads as its words, never as brackets."""
        return True


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """CommonMark without raw HTML or images, and with links only to the site's own pages."""
    parser = _EveryLinkParsed("commonmark", {"html": False, "linkify": False}).disable(["autolink"])
    parser.add_render_rule("link_open", _link_open)
    parser.add_render_rule("link_close", _link_close)
    parser.add_render_rule("image", _image)
    return parser


def body_html(body: str) -> Markup:
    return Markup(_markdown().render(body))


#: Markdown's link and image syntax in plain text: ``[words](address "title")``, ``![description](…)``.
MARKDOWN_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*<?((?:[^\s()<>]|\([^\s()<>]*\))*)>?(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")


def body_text(body: str) -> str:
    """The plain-text email's body: the Markdown as written, which reads as text, except its links
    (``words (address)``, the address made absolute) and images (their description)."""
    def plain(found: re.Match) -> str:
        image, words, href = found.groups()
        address = None if image else on_site(href)
        return f"{words} ({address})" if address else words
    return MARKDOWN_LINK.sub(plain, body)


def _fallback_language(update: Update, letter: Letter) -> str:
    return update.language or letter.original_language


def _text_for(update: Update, letter: Letter, language: str) -> UpdateText | None:
    """The update in ``language``, or in its fallback (the letter's original) when not written in it."""
    by_language = {text.language: text for text in update.texts}
    return by_language.get(language) or by_language.get(_fallback_language(update, letter))


def _links(kind: UpdateKind) -> tuple[str, ...]:
    names = {TokenPurpose.MANAGE: "manage_url", TokenPurpose.WITHDRAW: "withdraw_url"}
    return (*(names[purpose] for purpose in LINK_PURPOSES[kind]), *(("stop_url",) if kind is UpdateKind.NEWS else ()))


def skeleton(update: Update, language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of the update for a signer whose language is ``language``, with a slot
    for each of their own links (filled per signer by ``skeletons.fill``)."""
    letter = db.session.get(Letter, update.letter_id)
    assert letter is not None
    text = _text_for(update, letter, language)
    if text is None:
        raise UpdateError(_l("The update has no text in the letter's original language."))
    described = i18n.describe(language)
    context: dict[str, object] = {
        "update": update, "text": text, "body_html": body_html(text.body), "body_text": body_text(text.body),
        "email_language": described,
        "text_language": i18n.describe(text.language), "subject": text.subject,
        "not_in_language": text.language != language,
        "text_language_name": i18n.language_name_for(text.language, language, in_sentence=True),
        "letter_title": _letter_title(letter, language),
        "letter_url": i18n.absolute_url("letter.page", lang=language, slug=letter.slug),
        "versions_url": _versions_url(update, letter) if update.kind is UpdateKind.CHANGE_NOTICE else None,
        **{name: skeletons.slot(name) for name in (*_links(update.kind), MORE_SIGNATURES)},
    }
    environment = current_app.jinja_env
    with force_locale(described.babel_locale):
        return (text.subject, environment.get_template("email/update.txt").render(context),
                environment.get_template("email/update.html").render(context))


def preview(update: Update, language: str) -> tuple[str, str, str]:
    """The update as a signer of ``language`` would read it, with example links."""
    subject, text, html = skeleton(update, language)
    examples = {name: i18n.absolute_url("updates.stop", lang=language, token="example")
                if name == "stop_url" else current_app.config["SITE_URL"] + "/…" for name in _links(update.kind)}
    return (subject, skeletons.fill(text, {**examples, MORE_SIGNATURES: ""}, html=False),
            skeletons.fill(html, {**examples, MORE_SIGNATURES: Markup()}, html=True))


#: The slot of an update's email where an address that signed more than once gets the links of its
#: other signatures (empty for everyone else).
MORE_SIGNATURES = "more_signatures"


def more_signatures(language: str, signed: Row, others: list[tuple[Row, dict[str, str]]]) -> tuple[str, Markup]:
    """The text and HTML that give an address's other signatures their own links (``signed``: the
    one whose links the email already has; ``others``: each other signature's row, with its kind
    and organisation, and its links): each signature is corrected and withdrawn on its own, and a
    person who signed for two organisations must be able to withdraw either. Rendered per message:
    few addresses signed more than once."""
    with force_locale(i18n.describe(language).babel_locale):
        if _is_organisation(signed):
            which = gettext("You signed more than once with this address. The links above are for your signature "
                            "for %(organisation)s; here are those of the others.", organisation=signed.organisation)
        else:
            which = gettext("You signed more than once with this address. The links above are for your signature "
                            "as an individual; here are those of the others.")
        labelled = [(gettext("For %(organisation)s", organisation=row.organisation) if _is_organisation(row)
                     else gettext("As an individual"), links) for row, links in others]
        environment = current_app.jinja_env
        return (environment.get_template("email/update_more_signatures.txt").render(which=which, others=labelled),
                Markup(environment.get_template("email/update_more_signatures.html").render(which=which,
                                                                                            others=labelled)))


def _is_organisation(row: Row) -> bool:
    return row.kind is SignatureKind.ORGANISATION and bool(row.organisation)


def _letter_title(letter: Letter, language: str) -> str:
    titles = {text.language: text.title for text in letter.texts if text.current}
    return titles.get(language) or titles.get(letter.original_language) or letter.slug


def _versions_url(update: Update, letter: Letter) -> str:
    language = update.language or letter.original_language
    url = i18n.absolute_url("versions.page", lang=language, slug=letter.slug)
    return f"{url}#{versions.anchor(update.new_version)}" if update.new_version else url


def _message_id() -> str:
    return make_msgid(domain=urlsplit(current_app.config["SITE_URL"]).hostname)


# --- queuing, with the private key ----------------------------------------------------------


def recipients(update: Update) -> Select:
    """Who the update is for, before the ledger and the minimum days."""
    query = select(Signature.id, Signature.language, Signature.email_hash, Signature.email_sealed).where(
        Signature.letter_id == update.letter_id, Signature.status.in_(CONFIRMED), Signature.email_sealed.is_not(None))
    if update.kind is UpdateKind.NEWS:
        return query.where(Signature.consent_updates.is_(True))
    return query.where(Signature.language == update.language, *_signed_another_text(update.new_version))


def _signed_another_text(current: str | None) -> tuple:
    """A change notice is for whoever signed a text of its language other than the one now current:
    the text just replaced, and any before it (told of an earlier change, their signature now
    stands on this one too); not those who signed the current text (after a revert, say)."""
    return (Signature.letter_version.is_not(None), Signature.letter_version != current) if current else (False,)


def _signatures_of(hashes: set[str]) -> dict[int, str]:
    """Every signature of the addresses ``hashes`` (any letter, any state), by id: one indexed query."""
    if not hashes:
        return {}
    return {row.id: row.email_hash for row in db.session.execute(
        select(Signature.id, Signature.email_hash).where(Signature.email_hash.in_(hashes)))}


def _addresses_with(update_id: int, signatures: dict[int, str], since: dt.datetime | None = None) -> set[str]:
    """Of the addresses of ``signatures`` (``_signatures_of``), those with a ledger row (from any of
    their signatures): of this update, or (``since``) of another news update sent since then. Led
    by an index whatever the planner's statistics (a join let it walk the whole ledger for each batch)."""
    if not signatures:
        return set()
    query = select(UpdateDelivery.signature_id).where(UpdateDelivery.signature_id.in_(list(signatures)))
    if since is None:
        query = query.where(UpdateDelivery.update_id == update_id)
    else:
        query = query.where(UpdateDelivery.update_id != update_id, UpdateDelivery.news.is_(True),
                            UpdateDelivery.created_at > since)
    return {signatures[signature_id] for signature_id in db.session.scalars(query)}


def _signatures_by_address(candidates: Select, signatures: dict[int, str]) -> dict[str, list[Row]]:
    """The candidates among the signatures of the addresses that signed more than once (read from
    ``signatures``, which a batch has at hand), by address, with what names each (its kind and
    organisation). Most addresses signed once: then no query at all; else one, by primary key."""
    found: dict[str, list[Row]] = {}
    per_address = Counter(signatures.values())
    shared = {signature_id for signature_id, address in signatures.items() if per_address[address] > 1}
    if not shared:
        return found
    query = candidates.add_columns(Signature.kind, Signature.organisation).where(Signature.id.in_(shared))
    for row in db.session.execute(query.order_by(Signature.id)):
        found.setdefault(row.email_hash, []).append(row)
    return found


def _batches(query: Select, size: int) -> Iterator[list]:
    """Keyset pages by signature id: each page one short query, memory flat however many signers."""
    last = 0
    while True:
        rows = db.session.execute(query.where(Signature.id > last).order_by(Signature.id).limit(size)).all()
        if not rows:
            return
        yield list(rows)
        last = rows[-1].id


def queue(update_id: int, private_key: str, batch_size: int = BATCH_SIZE) -> SendReport:
    """Open each recipient's address with ``private_key`` and queue their message and ledger row,
    committing per batch. Safe to run again: whoever has a ledger row is skipped."""
    update = db.session.get(Update, update_id, with_for_update=True)  # against its deletion at this moment
    if update is None:
        raise UpdateError(_l("No update %(id)s.", id=update_id))
    if update.status not in (UpdateStatus.APPROVED, UpdateStatus.SENDING, UpdateStatus.SENT):
        raise UpdateError(_l("The update is not approved: a second admin must approve it in the browser first."))
    update.status = UpdateStatus.SENDING
    db.session.commit()
    now = utcnow()
    news = update.kind is UpdateKind.NEWS
    # Who has a ledger row for this update is skipped by its key; an address that had it through
    # another of its signatures, or had news within the minimum days, by one query per batch.
    candidates = recipients(update).where(~exists(select(UpdateDelivery.signature_id).where(
        UpdateDelivery.update_id == update.id, UpdateDelivery.signature_id == Signature.id)))
    cutoff = now - dt.timedelta(days=current_app.config["UPDATES_MIN_DAYS"]) if news else None
    report = SendReport()
    skeletons_by_language: dict[str, tuple[str, str, str]] = {}
    for rows in _batches(candidates, batch_size):
        hashes = {row.email_hash for row in rows if row.email_hash}
        signatures = _signatures_of(hashes)
        seen = _addresses_with(update.id, signatures)
        recent = _addresses_with(update.id, signatures, cutoff) if cutoff is not None else set()
        signed_by = _signatures_by_address(candidates, signatures)
        messages: list[dict] = []
        ledger: list[dict] = []
        token_rows: list[dict] = []
        held: set[str] = set()
        covered: set[str] = set()  # addresses this batch's emails reach: each of their signatures is in one
        for row in rows:
            if row.email_hash in recent:
                held.add(row.email_hash)
                continue
            if row.email_hash in covered:
                continue
            if row.email_hash in seen:
                report.skipped += 1
                continue
            seen.add(row.email_hash)
            try:
                address = crypto.unseal(private_key, row.email_sealed)
            except Exception:  # noqa: BLE001  (sealed to another key: counted, the rest goes on)
                report.skipped += 1
                continue
            covered.add(row.email_hash)
            if row.language not in skeletons_by_language:
                skeletons_by_language[row.language] = skeleton(update, row.language)
            subject, text, html = skeletons_by_language[row.language]
            links, new_tokens = tokens.new_links(row.language, now, confirm=False, purposes=LINK_PURPOSES[update.kind])
            token_rows += [{**token, "signature_id": row.id} for token in new_tokens]
            stop_hash = None
            if news:
                stop = crypto.new_token()
                stop_hash = crypto.token_digest(stop)
                links["stop_url"] = i18n.absolute_url("updates.stop", lang=row.language, token=stop)
            ledger.append({"update_id": update.id, "signature_id": row.id, "news": news, "stop_hash": stop_hash,
                           "created_at": now})
            others = []  # the address's other signatures: each its own links, and its ledger row
            same_address = signed_by.get(row.email_hash, [])
            for other in same_address:
                if other.id == row.id:
                    continue
                other_links, other_tokens = tokens.new_links(row.language, now, confirm=False,
                                                             purposes=LINK_PURPOSES[update.kind])
                token_rows += [{**token, "signature_id": other.id} for token in other_tokens]
                ledger.append({"update_id": update.id, "signature_id": other.id, "news": news, "stop_hash": None,
                               "created_at": now})
                others.append((other, other_links))
            more_text, more_html = ("", Markup())
            if others:
                more_text, more_html = more_signatures(
                    row.language, next(each for each in same_address if each.id == row.id), others)
            messages.append({
                "kind": update.kind.email_kind.value, "signature_id": row.id, "recipient": address, "subject": subject,
                "body_text": skeletons.fill(text, {**links, MORE_SIGNATURES: more_text}, html=False),
                "body_html": skeletons.fill(html, {**links, MORE_SIGNATURES: more_html}, html=True),
                "message_id": _message_id(), "next_attempt_at": now, "priority": BULK_PRIORITY,
                "list_unsubscribe": links.get("stop_url"),
            })
        if messages:
            db.session.execute(insert(OutboxMessage.__table__), messages)
            db.session.execute(insert(SignatureToken.__table__), token_rows)
            db.session.execute(insert(UpdateDelivery.__table__), ledger)
        db.session.commit()
        report.queued += len(messages)
        report.signatures += len(ledger)
        report.held_back += len(held)
    if report.held_back == 0:  # else it stays "being queued" until a later run reaches those held back
        update.status = UpdateStatus.SENT
        update.sent_at = utcnow()
    audit.record(None, "cli", "update.sent", "update", update.id,
                 after={"queued": report.queued, "signatures": report.signatures, "held_back": report.held_back})
    db.session.commit()
    return report


def delivered_count(update: Update) -> int:
    """How many signers the update was queued to so far (its ledger rows)."""
    return db.session.scalar(select(func.count()).select_from(UpdateDelivery).where(
        UpdateDelivery.update_id == update.id)) or 0


# --- stopping -------------------------------------------------------------------------------


def stop(token: str) -> bool:
    """One-click unsubscribe (RFC 8058): the address this token's update went to wants no more news,
    whichever of its signatures (as a person, for each organisation) the update came through.
    False when the token is unknown (or its signature withdrawn since)."""
    if not token or len(token) > 128:
        return False
    delivery = db.session.scalar(select(UpdateDelivery).where(UpdateDelivery.stop_hash == crypto.token_digest(token)))
    if delivery is None:
        return False
    signature = db.session.get(Signature, delivery.signature_id)
    if signature is not None:
        same_address = db.session.scalars(select(Signature).where(
            Signature.email_hash == signature.email_hash, Signature.consent_updates.is_(True)))
        for each in same_address:
            each.consent_updates = False
            audit.record(None, "signer", "update.stopped_by_signer", "signature", each.id)
    db.session.commit()
    return True


def known(token: str) -> bool:
    return bool(token) and len(token) <= 128 and db.session.scalar(
        select(UpdateDelivery.signature_id).where(UpdateDelivery.stop_hash == crypto.token_digest(token))) is not None


# --- change notices -------------------------------------------------------------------------


def draft_change_notices(report: LoadReport) -> list[Update]:
    """After ``letters load``: for each new text of a language that replaced another (even one
    loaded again after a revert) and has confirmed signers of any other text, a change-notice draft
    (its words written for the admin to edit), awaiting approval."""
    drafts = []
    for slug, language, version in report.texts_added:
        letter = db.session.scalar(select(Letter).where(Letter.slug == slug))
        previous = report.replaced.get((slug, language))
        if letter is None or previous is None:
            continue
        has_signers = db.session.scalar(select(Signature.id).where(
            Signature.letter_id == letter.id, Signature.language == language, *_signed_another_text(version),
            Signature.status.in_(CONFIRMED), Signature.email_sealed.is_not(None)).limit(1))
        if has_signers is None:
            continue
        update = Update(letter_id=letter.id, kind=UpdateKind.CHANGE_NOTICE, status=UpdateStatus.AWAITING,
                        language=language, previous_version=previous, new_version=version)
        with force_locale(i18n.describe(language).babel_locale):
            update.texts.append(UpdateText(language=language, subject=gettext("The letter you signed has changed"),
                                           body=str(CHANGE_NOTICE_BODY)))
        db.session.add(update)
        db.session.flush()
        audit.record(None, "cli", "update.change_notice_drafted", "update", update.id, after={"language": language})
        drafts.append(update)
    db.session.commit()
    return drafts

