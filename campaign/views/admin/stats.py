"""The operator's dashboard: how one letter's campaign goes (figures only, nobody's data)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_percent, format_timedelta
from flask_babel import gettext as _

from ... import letters
from ...moderation import stats
from ...publication import charts
from ...web import dates, i18n, parameters
from ..labels import KIND_LABELS
from . import bp


@bp.get("/stats")
def dashboard() -> ResponseReturnValue:
    """One letter (``?letter=<slug>``, else the featured one) over the last 7, 30 or 90 days (``?days=``)."""
    every_letter = letters.all_letters()
    letter = letters.find_letter(parameters.lenient_choice(request.args, "letter", [found.slug for found in every_letter]))
    if letter is None:
        abort(404)
    window = int(parameters.lenient_choice(request.args, "days", [str(days) for days in stats.WINDOWS])
                 or stats.DEFAULT_WINDOW)
    figures = stats.cached_dashboard(letter.id, window)
    view = letters.letter_in_language(letter, i18n.current_language())
    labels = (_("Submitted"), _("Confirmed"), _("Published"))
    columns = ("submitted", "confirmed", "published")
    series = [charts.Series(label, [getattr(day, column) for day in figures.days], colour, dashes)
              for label, column, (colour, dashes) in zip(labels, columns, charts.SERIES_STYLES)]
    chart = charts.daily_chart([day.day for day in figures.days], series, _("Signatures per day"), format_decimal,
                               lambda day: dates.date(day, "medium"),
                               rtl=i18n.describe(i18n.current_language()).direction == "rtl")
    return render_template(
        "admin/stats.html", figures=figures, letter=letter, letters=every_letter, windows=stats.WINDOWS,
        letter_title=view.text.title if view else letter.slug,
        chart=chart, series=series, legend_swatch=charts.legend_swatch, rate=stats.rate,
        format_percent=format_percent, format_timedelta=format_timedelta,
        language_name=lambda code: i18n.language_name(code) if code in i18n.supported_codes() else code,
        kind_label=lambda code: KIND_LABELS.get(code, code),
    )
