"""Each letter's lifecycle in the browser (admins): when signing closes, reopening, the goal, and
the deliveries and responses on its public timeline (added, edited, removed). Closing at once and
removing an event ask first, on a page that changes nothing. Every change is in the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from ... import letters
from ...lifecycle import closing, goals, timeline
from ...models import Letter, TimelineKind
from ...publication import counts
from ...web import parameters
from ...web.forms import ButtonForm
from ...web.letter_forms import UPLOAD_MEGABYTES, ClosingForm, GoalForm, TimelineEventForm, timeline_event_form_class
from .. import errors
from . import admin_required, bp

FILE_PROBLEMS = {
    "image": _l("Choose a photo (JPEG, PNG or WebP)."),
    "too-large": _l("This photo has too many pixels: please send a smaller copy."),
    "pdf": _l("Choose the response as a PDF file."),
}


def _letter(slug: str) -> Letter:
    found = letters.letter_by_slug(slug)
    if found is None:
        raise NotFound()
    return found


def _event_form(letter: Letter, **options: Any) -> TimelineEventForm:
    form_class = timeline_event_form_class(tuple(current_app.config["LANGUAGES"]))
    return form_class(original=letter.original_language, published_on=letter.published_on, **options)


@bp.get("/letters")
@admin_required
def letters_list() -> ResponseReturnValue:
    rows = [(letter, letters.LetterInfo.of(letter)) for letter in letters.all_letters()]
    return render_template("admin/letters.html", rows=[
        (letter, timeline.stage(info), counts.published_count(letter.id)) for letter, info in rows])


@bp.get("/letters/<slug:slug>")
@admin_required
def letter_lifecycle(slug: str, event_form: TimelineEventForm | None = None, closing_form: ClosingForm | None = None,
                     goal_form: GoalForm | None = None, status: int = 200) -> ResponseReturnValue:
    """The letter's page; a refused form comes back as it was filled in, with what is wrong."""
    letter = _letter(slug)
    info = letters.LetterInfo.of(letter)
    count = counts.published_count(letter.id)
    if closing_form is None:
        planned = letter.closes_at if letter.closes_at and not closing.has_closed(letter.closes_at) else None
        closing_form = ClosingForm(formdata=None, data={"closes_at": planned.replace(tzinfo=None) if planned else None})
    return render_template(
        "admin/letter.html", letter=letter, title=letters.letter_in_language(letter, letter.original_language),
        stage=timeline.stage(info), closed=closing.has_closed(letter.closes_at), count=count,
        progress=goals.progress(letter.goal, count), closing_form=closing_form,
        goal_form=goal_form or GoalForm(formdata=None, data={"goal": letter.goal}),
        event_form=event_form or _event_form(letter, formdata=None), entries=timeline.entries(info, letter.original_language),
    ), status


@bp.post("/letters/<slug:slug>/closing")
@admin_required
def letter_closing(slug: str) -> ResponseReturnValue:
    letter = _letter(slug)
    action = parameters.lenient_choice(request.form, "action", ("close-now", "reopen"))
    if action == "close-now":  # from a page of before the confirmation: it asks first, like the button
        return redirect(url_for("admin.letter_close_confirm", slug=slug), 303)
    if action == "reopen":  # a button: the date field beside it is not its own
        if ButtonForm().validate():
            closing.set_closing(letter, None, current_user.user, current_user.email)
            flash(_("Signing is open again."), "success")
        return redirect(url_for("admin.letter_lifecycle", slug=slug), 303)
    form = ClosingForm()
    if not form.validate():
        return letter_lifecycle(slug, closing_form=form, status=422)
    was_closed = closing.has_closed(letter.closes_at)
    chosen = form.closes_at.data.replace(tzinfo=dt.timezone.utc) if form.closes_at.data else None
    closing.set_closing(letter, chosen, current_user.user, current_user.email)
    flash(_("Signing is open again.") if was_closed else _("The closing date is saved."), "success")
    return redirect(url_for("admin.letter_lifecycle", slug=slug), 303)


@bp.get("/letters/<slug:slug>/close-now")
@admin_required
def letter_close_confirm(slug: str) -> ResponseReturnValue:
    """Closing at once asks first: this page changes nothing, its button does."""
    letter = _letter(slug)
    if closing.has_closed(letter.closes_at):
        return redirect(url_for("admin.letter_lifecycle", slug=slug), 303)
    return render_template("admin/close_now.html", letter=letter, form=ButtonForm(),
                           title=letters.letter_in_language(letter, letter.original_language))


@bp.post("/letters/<slug:slug>/close-now")
@admin_required
def letter_close_now(slug: str) -> ResponseReturnValue:
    letter = _letter(slug)
    if ButtonForm().validate():
        closing.close_now(letter, current_user.user, current_user.email)
        flash(_("Signing is closed."), "success")
    return redirect(url_for("admin.letter_lifecycle", slug=slug), 303)


@bp.post("/letters/<slug:slug>/goal")
@admin_required
def letter_goal(slug: str) -> ResponseReturnValue:
    letter = _letter(slug)
    form = GoalForm()
    if not form.validate():
        return letter_lifecycle(slug, goal_form=form, status=422)
    closing.set_goal(letter, form.goal.data, current_user.user, current_user.email)
    flash(_("The goal is saved."), "success")
    return redirect(url_for("admin.letter_lifecycle", slug=slug), 303)


@bp.post("/letters/<slug:slug>/timeline")
@admin_required
def letter_event_add(slug: str) -> ResponseReturnValue:
    """A delivery or a response. A refused form comes back as it was filled in (the file aside)."""
    letter = _letter(slug)
    form = _event_form(letter)
    if not form.validate():
        return letter_lifecycle(slug, event_form=form, status=422)
    words, upload = _submitted(form)
    try:
        timeline.record_event(letters.LetterInfo.of(letter), TimelineKind(form.kind.data),
                              form.occurred_at.data.replace(tzinfo=dt.timezone.utc), words, form.link.data or None,
                              upload, current_user.user, current_user.email)
    except timeline.UnusableFile as problem:
        form.file.errors = [FILE_PROBLEMS[str(problem)]]
        return letter_lifecycle(slug, event_form=form, status=422)
    flash(_("The event is on the timeline."), "success")
    return redirect(url_for("admin.letter_lifecycle", slug=slug), 303)


def _submitted(form: TimelineEventForm) -> tuple[dict[str, timeline.Words], bytes | None]:
    """An event form's words, in each language given a heading, and its file."""
    words = {}
    for code in form.languages:
        title, summary = form.words_fields(code)
        if title.data:
            words[code] = timeline.Words(title.data, summary.data or "")
    return words, form.file.data.read() if form.file.data else None


#: Where a file over the limit sends the admin back to: the page of the form they sent.
FORM_PAGES = {"admin.letter_event_add": "admin.letter_lifecycle", "admin.letter_event_save": "admin.letter_event_edit"}


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A file over the limit: back to the form's page, saying so (the body was not read, so what was
    typed cannot come back from here; the browser's Back button keeps it)."""
    if request.endpoint not in FORM_PAGES or not request.view_args:
        return errors.render_error(error)
    flash(_("The file is larger than %(megabytes)s MB, so nothing was saved. Go back to keep what you typed, "
            "and choose a smaller file.", megabytes=UPLOAD_MEGABYTES), "error")
    return redirect(url_for(FORM_PAGES[request.endpoint], **request.view_args), 303)


def _recorded_entry(letter: Letter, event_id: int) -> timeline.Entry:
    entry = timeline.recorded_entry(letters.LetterInfo.of(letter), event_id)
    if entry is None:
        raise NotFound()
    return entry


@bp.get("/letters/<slug:slug>/timeline/<id:event_id>/remove")
@admin_required
def letter_event_remove_confirm(slug: str, event_id: int) -> ResponseReturnValue:
    """Removing an event asks first: this page changes nothing, its button does."""
    letter = _letter(slug)
    return render_template("admin/remove_event.html", letter=letter, entry=_recorded_entry(letter, event_id),
                           form=ButtonForm())


@bp.post("/letters/<slug:slug>/timeline/<id:event_id>/remove")
@admin_required
def letter_event_remove(slug: str, event_id: int) -> ResponseReturnValue:
    letter = _letter(slug)
    if ButtonForm().validate() and timeline.remove_event(letters.LetterInfo.of(letter), event_id, current_user.user,
                                                         current_user.email):
        flash(_("The event was removed from the timeline."), "success")
    return redirect(url_for("admin.letter_lifecycle", slug=slug), 303)


def _edit_form(letter: Letter, entry: timeline.Entry, **options: Any) -> TimelineEventForm:
    return _event_form(letter, kind=entry.kind, current_file=entry.file.content_type if entry.file else None, **options)


def _as_recorded(entry: timeline.Entry) -> dict[str, object]:
    """The edit form filled in with what the event says now."""
    data: dict[str, object] = {"occurred_at": entry.at.replace(tzinfo=None), "link": entry.link or ""}
    for code, words in entry.texts:
        data[f"title_{code}"], data[f"summary_{code}"] = words.title, words.summary
    return data


@bp.get("/letters/<slug:slug>/timeline/<id:event_id>/edit")
@admin_required
def letter_event_edit(slug: str, event_id: int, form: TimelineEventForm | None = None,
                      status: int = 200) -> ResponseReturnValue:
    """The form that added a delivery or a response, filled in with what it says now."""
    letter = _letter(slug)
    entry = _recorded_entry(letter, event_id)
    return render_template(
        "admin/edit_event.html", letter=letter, entry=entry,
        form=form or _edit_form(letter, entry, formdata=None, data=_as_recorded(entry)),
    ), status


@bp.post("/letters/<slug:slug>/timeline/<id:event_id>/edit")
@admin_required
def letter_event_save(slug: str, event_id: int) -> ResponseReturnValue:
    """A refused form comes back as it was filled in (a new file aside: browsers cannot fill one in)."""
    letter = _letter(slug)
    form = _edit_form(letter, _recorded_entry(letter, event_id))
    if not form.validate():
        return letter_event_edit(slug, event_id, form, 422)
    words, upload = _submitted(form)
    try:
        changed = timeline.edit_event(
            letters.LetterInfo.of(letter), event_id, form.occurred_at.data.replace(tzinfo=dt.timezone.utc), words,
            form.link.data or None, upload, form.current_file is not None and form.remove_file.data,
            current_user.user, current_user.email)
    except timeline.UnusableFile as problem:
        form.file.errors = [FILE_PROBLEMS[str(problem)]]
        return letter_event_edit(slug, event_id, form, 422)
    except timeline.UnknownEvent as gone:  # removed meanwhile, by another admin
        raise NotFound() from gone
    flash(_("The event is saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("admin.letter_lifecycle", slug=slug), 303)
