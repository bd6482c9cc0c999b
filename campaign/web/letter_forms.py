"""The forms of a letter's lifecycle in the admin area: closing, goal, and timeline events."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateTimeLocalField, Field, IntegerField, RadioField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from .forms import CampaignForm, at_most, multi_line, single_line, web_address

TITLE_MAX = 300
SUMMARY_MAX = 2000
#: What an admin may upload with an event (a phone's photo is often 5 to 15 MB).
UPLOAD_MEGABYTES = 25
#: As browsers send a ``datetime-local`` field; the pages say the time is UTC.
LOCAL_TIME = "%Y-%m-%dT%H:%M"
#: What a person may type where a browser has no date picker (the first is what the field shows).
TYPED_TIMES = [LOCAL_TIME, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class UtcTimeField(DateTimeLocalField):
    """A date and time in UTC. A value that is not one comes back as plain text: a ``datetime-local``
    input would show it empty, and a refused form must give back what was typed."""

    def __init__(self, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(label, format=TYPED_TIMES, invalid_value_message=_l(
            "Enter a date and a time, such as %(example)s.", example="2027-03-08 17:00"), **kwargs)

    def __call__(self, **kwargs: Any) -> Any:
        if self.process_errors:
            kwargs["type"] = "text"
        return super().__call__(**kwargs)


#: Digits grouped by thousands as people type them in any of our languages: 1,000 / 1.000 / 1 000 / 1'000.
GROUPED_DIGITS = re.compile(r"[0-9]{1,3}(?:([,. \u00a0\u202f'])[0-9]{3})(?:\1[0-9]{3})*")
#: A closing time further away than this is a typo (a year 9999), not a plan.
FURTHEST_CLOSING_YEARS = 10


class GroupedIntegerField(IntegerField):
    """A whole number, also as typed with thousands separators ("1,000", "10 000", "1.000")."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str) and GROUPED_DIGITS.fullmatch(valuelist[0].strip()):
            valuelist = [re.sub(r"[^0-9]", "", valuelist[0])]
        super().process_formdata(valuelist)


class ClosingForm(CampaignForm):
    """A closing time to come; closing at once is its own button, so a mistyped year does not
    close a letter."""

    closes_at = UtcTimeField(_l("Signing closes at (UTC)"), validators=[Optional()])

    def validate_closes_at(self, field: Field) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        if field.data and field.data.replace(tzinfo=dt.timezone.utc) <= now:
            raise ValidationError(_l("Choose a time to come. To close signing at once, use “Close signing now”."))
        if field.data and field.data.year > now.year + FURTHEST_CLOSING_YEARS:
            raise ValidationError(_l("Choose a time within the next %(num)s years.", num=FURTHEST_CLOSING_YEARS))


class GoalForm(CampaignForm):
    goal = GroupedIntegerField(_l("First goal (number of signatures)"), validators=[Optional(), NumberRange(min=1, max=10**9)])


class TimelineEventForm(CampaignForm):
    """A delivery or a response, with its words in the languages an admin writes them in. The
    letter's original language is required: every reader without their own gets it."""

    kind = RadioField(_l("What happened"), choices=[
        SelectChoice("delivered", _l("The letter was delivered")), SelectChoice("response", _l("A response was received"))],
        validators=[InputRequired(message=_l("Choose what happened."))])
    occurred_at = UtcTimeField(_l("When (UTC)"), validators=[InputRequired()])
    link = URLField(_l("Link (required for a response)"), filters=[single_line, web_address],
                    validators=[Optional(), at_most(500)])
    file = FileField(_l("Photo of the delivery (JPEG, PNG or WebP) or the response (PDF), optional"),
                     description=_l("At most %(megabytes)s MB.", megabytes=UPLOAD_MEGABYTES))
    remove_file = BooleanField(_l("Remove the current file"))

    def __init__(self, *args: Any, original: str, published_on: dt.date, kind: str | None = None,
                 current_file: str | None = None, **kwargs: Any) -> None:
        """``kind`` and ``current_file`` (its content type) for an event being edited: a delivery stays
        a delivery (its anchor says what it is), and its file stays unless replaced or removed."""
        super().__init__(*args, **kwargs)
        self.original = original
        self.published_on = published_on
        self.fixed_kind = kind
        self.current_file = current_file
        if kind is not None:
            del self["kind"]
        if current_file is None:
            del self["remove_file"]

    @property
    def event_kind(self) -> str | None:
        return self.fixed_kind or self.kind.data

    @property
    def keeps_a_file(self) -> bool:
        """A file comes with the event once saved: a new one, or the current one left in place."""
        return bool(self.file.data) or (self.current_file is not None and not self.remove_file.data)

    def validate_occurred_at(self, field: Field) -> None:
        """Between the letter's publication and tomorrow: a slip of the year would top the timeline."""
        if field.data is None:  # not a time: the field says so already
            return
        when = field.data.replace(tzinfo=dt.timezone.utc)
        if when.date() < self.published_on or when > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1):
            raise ValidationError(_l("Choose a time between the letter's publication and now."))

    def words_fields(self, code: str) -> tuple[Any, Any]:
        return self[f"title_{code}"], self[f"summary_{code}"]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        title, summary = self.words_fields(self.original)
        if not title.data and not title.errors:
            title.errors.append(_l("Write the heading in the letter's original language: readers of every "
                                   "other language without their own see it."))
            valid = False
        for code in self.languages:
            title, summary = self.words_fields(code)
            if summary.data and not title.data and not title.errors and code != self.original:
                title.errors.append(_l("A summary needs its heading."))
                valid = False
        upload = self.file.data
        if upload and upload.seek(0, 2) > UPLOAD_MEGABYTES * 1024 * 1024:
            self.file.errors = [*self.file.errors, _l("The file is larger than %(megabytes)s MB: please choose a smaller one.",
                                                      megabytes=UPLOAD_MEGABYTES)]
            valid = False
        if upload:
            upload.seek(0)
        if self.event_kind == "response":
            summary = self.words_fields(self.original)[1]
            if not summary.data and not summary.errors:
                summary.errors.append(_l("Sum up the response in the letter's original language."))
                valid = False
            if not self.link.data and not self.keeps_a_file and not self.link.errors:
                self.link.errors.append(_l("Give a link to the response, or its PDF below."))
                valid = False
        return valid

    languages: tuple[str, ...] = ()


@lru_cache(maxsize=4)
def timeline_event_form_class(languages: tuple[str, ...]) -> type[TimelineEventForm]:
    """The event form with a heading and a summary per language, in the order they are configured."""
    fields: dict[str, Any] = {"languages": languages}
    for code in languages:
        fields[f"title_{code}"] = StringField(_l("Heading (to whom, where)"), filters=[single_line],
                                              validators=[Optional(), at_most(TITLE_MAX)])
        fields[f"summary_{code}"] = TextAreaField(_l("Summary"), filters=[multi_line],
                                                   validators=[Optional(), at_most(SUMMARY_MAX)])
    return type("LanguagesTimelineEventForm", (TimelineEventForm,), fields)
