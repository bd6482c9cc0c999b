"""The one place that decides a request's language and what templates need to show it.

Public pages carry their language in the URL (``/<lang>/...``). Anything else (``/``, error pages
outside a language prefix, the admin area) negotiates from ``Accept-Language``.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from babel import Locale
from babel.core import get_global
from babel.lists import format_list
from babel.units import format_unit
from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import format_decimal, get_locale, get_translations, refresh
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.routing import BaseConverter

from ..extensions import babel
from ..signing.rows import readable
from ..text import fold_for_sorting
from . import dates

#: Babel locales for URL language codes whose plain code would pick another regional default.
BABEL_LOCALES = {"pt": "pt_BR"}
#: Open Graph names a locale language_TERRITORY: the letter's English is British, and Facebook calls
#: Arabic ar_AR. Other languages take their Babel locale's territory, else CLDR's likeliest (es_ES).
OPEN_GRAPH_LOCALES = {"en": "en_GB", "ar": "ar_AR"}


@dataclass(frozen=True)
class Language:
    code: str  # as in the URL and the catalogue folder
    tag: str  # BCP 47, for lang and hreflang attributes
    babel_locale: str
    name: str  # in the language itself
    direction: str  # "ltr" or "rtl"
    open_graph_locale: str  # og:locale, language_TERRITORY


@cache
def describe(code: str) -> Language:
    babel_locale = BABEL_LOCALES.get(code, code)
    locale = Locale.parse(babel_locale)
    name = locale.get_display_name(locale) or code
    return Language(
        code=code,
        tag=babel_locale.replace("_", "-"),
        babel_locale=babel_locale,
        name=name[:1].upper() + name[1:],
        direction="rtl" if locale.character_order == "right-to-left" else "ltr",
        open_graph_locale=OPEN_GRAPH_LOCALES.get(code) or _with_territory(locale),
    )


def _with_territory(locale: Locale) -> str:
    if locale.territory:
        return f"{locale.language}_{locale.territory}"
    likely = Locale.parse(get_global("likely_subtags").get(locale.language, locale.language))
    return f"{locale.language}_{likely.territory}" if likely.territory else locale.language


def language_name(code: str, *, in_sentence: bool = False) -> str:
    """A language's name in the language of the page (in Arabic: الإسبانية, not Español), for lists
    and tables read in one language; the language switch keeps each name in its own language.
    Capitalised as a label; ``in_sentence`` keeps the language's own case ("en anglais", "auf Englisch")."""
    return language_name_for(code, current_language(), in_sentence=in_sentence)


def language_name_for(code: str, reader: str, *, in_sentence: bool = False) -> str:
    """``code``'s name as a reader of ``reader`` writes it (an email is written in its signer's language)."""
    name = Locale.parse(describe(code).babel_locale).get_display_name(Locale.parse(describe(reader).babel_locale)) or code
    return name if in_sentence else name[:1].upper() + name[1:]


def supported_codes() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def negotiate(header_value: str | None = None) -> str:
    """The best supported language for an ``Accept-Language`` value; the default when none fits.

    Walks the header in order of preference and takes the first tag whose exact code or primary
    subtag we offer, so ``de-CH, en;q=0.2`` is German. Malformed parts are skipped: a browser's
    bad header must never cost a reader the page.
    """
    supported = supported_codes()
    if header_value is None:
        header_value = request.headers.get("Accept-Language", "")
    try:
        accepted = parse_accept_header(header_value, LanguageAccept)
    except (ValueError, TypeError, IndexError):
        accepted = LanguageAccept()
    for tag, quality in accepted:
        if quality <= 0:
            continue
        primary = tag.replace("_", "-").split("-", 1)[0].lower()
        if primary in supported:
            return primary
    return current_app.config["DEFAULT_LANGUAGE"]


def language_from_path(path: str) -> str | None:
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in supported_codes() else None


def current_language() -> str:
    """The request's language: the URL prefix when there is one, else Accept-Language."""
    code = g.get("lang")
    if code:
        return code
    code = language_from_path(request.path) or negotiate()
    g.lang = code
    return code


def babel_locale_selector() -> str:
    return describe(current_language()).babel_locale


@dataclass(frozen=True)
class Alternate:
    language: Language
    url: str
    current: bool


def alternates() -> list[Alternate]:
    """The same page in every language, for the switch and for ``hreflang`` links."""
    if request.url_rule is None or "lang" not in request.url_rule.arguments:
        return []
    endpoint = request.url_rule.endpoint
    # Each alternate gives its own language. (A streamed page's context is pushed again for its body,
    # matching the URL again: its ``view_args`` hold the language once more.)
    args = {key: value for key, value in (request.view_args or {}).items() if key != "lang"}
    here = current_language()
    return [
        Alternate(describe(code), absolute_url(endpoint, **args, lang=code), code == here)
        for code in supported_codes()
    ]


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute URL built on ``SITE_URL``, never on the request's Host header; also outside a
    request (a moderator's decision from the command line queues mail with links too)."""
    if has_request_context():
        return current_app.config["SITE_URL"] + url_for(endpoint, **values)
    current_app.inject_url_defaults(endpoint, values)
    return current_app.config["SITE_URL"] + current_app.url_map.bind("localhost").build(endpoint, values)


def template_context() -> dict:
    if not has_request_context():
        return {}
    language = describe(current_language())
    found = alternates()
    default_code = current_app.config["DEFAULT_LANGUAGE"]
    return {
        "lang": language.tag,
        "lang_code": language.code,
        "dir": language.direction,
        "language": language,
        "alternates": found,
        "x_default_url": next((a.url for a in found if a.language.code == default_code), None),
        "canonical_url": next((a.url for a in found if a.current), None),
    }


def language_converter(codes: list[str]) -> type[BaseConverter]:
    """A URL converter that matches only the offered language codes, so other prefixes are plain 404s."""
    pattern = "|".join(sorted(map(re.escape, codes), key=len, reverse=True))
    return type("LanguageConverter", (BaseConverter,), {"regex": f"(?:{pattern})"})


#: Region codes Babel knows that are not countries: continents, unions, private-use and reserved.
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}


@lru_cache(maxsize=16)
def _country_choices(locale_name: str) -> tuple[tuple[str, str], ...]:
    territories = Locale.parse(locale_name).territories
    countries = [(code, name) for code, name in territories.items() if len(code) == 2 and code not in NOT_COUNTRIES]
    return tuple(sorted(countries, key=lambda item: fold_for_sorting(item[1])))


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-2 codes with their names in the page's language, sorted for reading."""
    return list(_country_choices(str(get_locale() or "en")))


@lru_cache(maxsize=16)
def _country_codes(locale_name: str) -> frozenset[str]:
    return frozenset(code for code, _ in _country_choices(locale_name))


def is_country(code: str | None) -> bool:
    """Whether ``code`` is one of the countries offered (asked on every form post and list filter)."""
    return code in _country_codes(str(get_locale() or "en"))


@lru_cache(maxsize=16)
def _country_options_html(locale_name: str) -> str:
    return "".join(f'<option value="{code}">{escape(name)}</option>' for code, name in _country_choices(locale_name))


def country_options(selected: str | None) -> Markup:
    """The ``<option>`` list of the country select, rendered once per language (250 options)."""
    html = _country_options_html(str(get_locale() or "en"))
    if selected and len(selected) == 2 and selected.isalpha():
        html = html.replace(f'<option value="{selected}">', f'<option value="{selected}" selected>', 1)
    return Markup(html)


@lru_cache(maxsize=1)
def _names_to_codes() -> dict[str, str]:
    """Every country's name in every offered language, folded, with its code."""
    return {fold_for_sorting(name): code for language in current_app.config["LANGUAGES"]
            for code, name in _country_choices(describe(language).babel_locale)}


def guess_country(text: str) -> str | None:
    """The ISO code a person most likely meant by a country's name ("Palestine": PS), in any of the
    offered languages; None when nothing is close."""
    names = _names_to_codes()
    folded = fold_for_sorting(text)
    if folded in names:
        return names[folded]
    close = difflib.get_close_matches(folded, names, n=1, cutoff=0.75)
    if close:
        return names[close[0]]
    # a word of the name that shares the typed word's stem ("Palestine": "Palestinian Territories")
    needed = max(5, len(folded) - 2)
    found = {code for name, code in names.items()
             if any(len(os.path.commonprefix([word, folded])) >= needed for word in name.split())}
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=16)
def _country_names(locale_name: str) -> dict[str, str]:
    return dict(_country_choices(locale_name))


def country_name(code: str) -> str:
    """The country's name in the page's language; nothing for an unknown country (``ZZ``)."""
    return _country_names(str(get_locale() or "en")).get(code, "" if code == "ZZ" else code)


def forget_previous_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Start each request without a language or a letter: ``g`` outlives a request when an app
    context was already active (tests, CLI scripts), and Flask-Babel caches the locale there."""
    g.pop("lang", None)
    g.pop("letter_slug", None)
    refresh()


def fill_url_scope(endpoint: str, values: dict[str, Any]) -> None:
    """Links built on a page keep its language and, when the page came by a letter's own address
    (``/<lang>/letters/<slug>/…``), that letter; links from the featured letter's short addresses
    stay short."""
    url_map = current_app.url_map
    if "lang" not in values and g.get("lang") and url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = g.lang
    if "slug" not in values and g.get("letter_slug") and url_map.is_endpoint_expecting(endpoint, "slug"):
        values["slug"] = g.letter_slug


def format_megabytes(size: int) -> str:
    """A file's size as the reader's language writes it: in megabytes with one decimal, or in
    kilobytes under one megabyte."""
    locale = get_locale() or "en"
    if size < 1_000_000:
        return format_unit(max(1, round(size / 1000)), "digital-kilobyte", length="short", locale=locale)
    return format_unit(size / 1_000_000, "digital-megabyte", length="short", format="#,##0.#", locale=locale)


def list_of(items: list[str]) -> str:
    """Items joined as the reader's language joins them ("Arabic and English", «العربية والإنجليزية»)."""
    return format_list(items, locale=get_locale() or "en")


@pass_context
def ngettext_in_words(context: Context, singular: str, plural: str, count: int, /, **variables: Any) -> str:
    """Templates' ``ngettext``: Jinja's own (the form the count asks for, the variables escaped into
    it), but ``%(num)s`` written as the page's language writes numbers ("2,464 entries", "2.464
    Einträge") unless the template passes its own ``num``."""
    variables.setdefault("num", format_decimal(count) if isinstance(count, int) else count)  # as Jinja's, else
    text = get_translations().ungettext(singular, plural, count)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def init_app(app: Flask) -> None:
    app.url_map.converters["lang"] = language_converter(app.config["LANGUAGES"])
    app.url_value_preprocessor(forget_previous_language)
    app.url_defaults(fill_url_scope)
    babel.init_app(app, locale_selector=babel_locale_selector)
    app.jinja_env.globals["ngettext"] = ngettext_in_words
    app.jinja_env.filters["format_number"] = format_decimal
    app.jinja_env.filters["to_the_minute"] = dates.to_the_minute
    app.jinja_env.filters["dateformat"] = dates.date  # in place of Flask-Babel's: the first of a month
    app.jinja_env.filters["datetimeformat"] = dates.moment
    app.jinja_env.filters["machine_time"] = dates.machine
    app.jinja_env.filters["readable_address"] = readable
    app.jinja_env.filters["format_megabytes"] = format_megabytes
    app.jinja_env.filters["list_of"] = list_of
    app.jinja_env.globals["text_direction"] = lambda code: describe(code).direction if code in supported_codes() else "auto"
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.globals["country_options"] = country_options
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.context_processor(template_context)
