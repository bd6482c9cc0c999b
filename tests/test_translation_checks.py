"""Checks that catch the translation defects tests of pages miss (issue 18): plural forms in the wrong
order, Latin runs that reorder inside right-to-left text, placeholders the code does not pass, and
terms that drift from the glossary. ``translations/GLOSSARY.md`` tells a translator what each means."""

from __future__ import annotations

import ast
import gettext
import re
import tomllib
from functools import lru_cache

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

from campaign.web.i18n import describe

from .factories import PROJECT_ROOT, TRANSLATED_LANGUAGES

TRANSLATIONS = PROJECT_ROOT / "translations"
LETTERS = PROJECT_ROOT / "letters"
RIGHT_TO_LEFT = [language for language in TRANSLATED_LANGUAGES if describe(language).direction == "rtl"]
#: The counts every plural entry is rendered at: the edges of each rule and the limits the forms use.
COUNTS = (0, 1, 2, 3, 5, 11, 100, 101, 120, 200, 254, 500)
#: CLDR's categories in the order gettext catalogues number their forms.
CATEGORY_ORDER = ("zero", "one", "two", "few", "many", "other")
#: Placeholders that always hold a number or a code of digits: they need no isolation.
NUMERIC_PLACEHOLDERS = frozenset({"num", "days", "hours", "count", "id", "number", "code", "minutes", "limit"})
ISOLATES = ("\u2066", "\u2067", "\u2068")  # LRI, RLI, FSI; each closed by PDI (U+2069)
PDI = "\u2069"
#: Arabic entries whose "many" (11–99) and "other" (100+) forms rightly read the same: no counted noun
#: follows the number. Anything else must show the accusative (tanwin) of 11–99 that 100+ lacks.
SAME_MANY_AND_OTHER = {
    "%(num)s was already there.",
    "Select the %(num)s signature on this page",
    "%(num)s email could not be delivered in the last seven days.",
    "%(num)s email is waiting to be sent.",
}


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=describe(language).babel_locale)


def compiled(language: str) -> gettext.GNUTranslations:
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        return gettext.GNUTranslations(handle)


def forms_of(message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


# --- plural forms -------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_each_catalogue_picks_the_plural_form_its_language_rule_names(language):
    """The catalogue header's rule must give each count the form of CLDR's category for it: a header
    in another order silently shows every entry's forms swapped."""
    locale = Locale.parse(describe(language).babel_locale)
    categories = [category for category in CATEGORY_ORDER if category in locale.plural_form.tags | {"other"}]
    catalog = catalogue(language)
    if len(categories) > catalog.num_plurals and "many" in categories:
        categories.remove("many")  # French, Spanish, Portuguese: CLDR's "many" (millions) reads as "other"
    assert len(categories) == catalog.num_plurals, f"{language}: the header's number of forms is not CLDR's"
    plural = gettext.c2py(catalog.plural_expr)
    for count in COUNTS:
        category = locale.plural_form(count)
        expected = categories.index(category if category in categories else "other")
        assert plural(count) == expected, f"{language}: {count} takes form {plural(count)}, its rule says {expected}"


class OtherPlaceholders(dict):
    """``num`` as given, and a stand-in for any other placeholder (a date, a name)."""

    def __missing__(self, key: str) -> str:
        return "…"


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_plural_entry_shows_its_number_wherever_the_english_does(language):
    translations = compiled(language)
    missing = []
    for message in catalogue(language):
        if not message.id or not isinstance(message.id, (tuple, list)) or "%(num)s" not in message.id[1]:
            continue
        for count in COUNTS:
            rendered = translations.ngettext(message.id[0], message.id[1], count) % OtherPlaceholders(num=count)
            if count >= 3 and str(count) not in rendered:
                missing.append((message.id[0], count, rendered))
    assert missing == []


def test_arabic_plural_forms_are_in_their_rules_order():
    """11–99 ("many") count with the accusative singular (تمييز منصوب: ‎…ًا), 100 and more ("other")
    with the genitive: a form with fewer tanwin for 11–99 than for 100 is a swapped pair."""
    swapped = []
    for message in catalogue("ar"):
        if not message.id or not isinstance(message.id, (tuple, list)):
            continue
        many, other = message.string[4], message.string[5]
        if message.id[0] in SAME_MANY_AND_OTHER:
            continue
        if many.count("\u064b") <= other.count("\u064b"):
            swapped.append((message.id[0], many, other))
    assert swapped == [], "form [4] is for 11–99 (accusative), form [5] for 100+ (genitive)"


#: Entries whose plural ("other") form is rightly shorter than their singular ("one") form, with why.
SHORTER_PLURAL = {
    ("de", "Queued to %(num)s signer."): "gender-fair: 'unterzeichnende Person', plural 'Unterzeichnende'",
    ("de", "Queued to %(num)s signer so far. Those who had an update within the last days are held back: run the "
           "command again later to reach them."): "gender-fair: 'unterzeichnende Person', plural 'Unterzeichnende'",
}
#: An Arabic dual: the noun's ending ‎-ān/-ayn (‎-atān/-atayn), or ‎-ā/-ay where it is followed by
#: another noun (رسالتا بريد, رسالتَي بريد).
ARABIC_DUAL = re.compile(r"(?:ان|ين|تا|تَي)\b")


def swapped_singular_and_plural(language: str, catalog) -> list[str]:
    """Entries whose one and other forms look exchanged. In Spanish, French, Portuguese and German a
    plural adds to its noun, so the other form is never the shorter (but for ``SHORTER_PLURAL``); in
    Arabic the two form ([2]) says its nouns in the dual, which the one form ([1]) does not."""
    found = []
    for message in catalog:
        if not message.id or not isinstance(message.id, (tuple, list)) or not all(message.string):
            continue
        forms = message.string
        if language == "ar":
            one, two = forms[1], forms[2]
            if one != two and len(ARABIC_DUAL.findall(two)) <= len(ARABIC_DUAL.findall(one)):
                found.append(message.id[0])
        elif len(forms) == 2 and len(forms[1]) < len(forms[0]) and (language, message.id[0]) not in SHORTER_PLURAL:
            found.append(message.id[0])
    return found


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_no_entry_has_its_singular_and_plural_forms_exchanged(language):
    """A form given for the wrong count in one entry (the header's rule can be right and one entry's
    forms still exchanged): each language's entries as written, then with one entry exchanged."""
    catalog = catalogue(language)
    assert swapped_singular_and_plural(language, catalog) == []
    entry = catalog.get(("%(num)s individual", "%(num)s individuals"))
    forms = list(entry.string)
    if language == "ar":
        forms[1], forms[2] = forms[2], forms[1]
    else:
        forms[0], forms[1] = forms[1], forms[0]
    entry.string = tuple(forms)
    assert swapped_singular_and_plural(language, catalog) == ["%(num)s individual"], "the check misses a swap"


def test_arabic_counts_are_not_said_twice():
    """"توقيع واحد (1)": a form that spells its count in words does not add the digits."""
    doubled = [(message.id[0], form) for message in catalogue("ar")
               if message.id and isinstance(message.id, (tuple, list))
               for form in message.string[:3] if "(%(num)s)" in form]
    assert doubled == []


#: Entries whose meaning depends on where they stand: each carries a translator's comment (``#.``, from a
#: ``TRANSLATORS:`` comment beside the code or template that uses it).
EXPLAINED = ("Individual", "Moderator", "Administrator", "Published", "Key", "you", "Use at most %(num)s character.")


def test_entries_that_depend_on_context_carry_a_comment_for_translators():
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template = read_po(handle)
    for language in ["template", *TRANSLATED_LANGUAGES]:
        catalog = template if language == "template" else catalogue(language)
        bare = [msgid for msgid in EXPLAINED if not catalog[msgid].auto_comments]
        assert bare == [], f"{language}: run `make messages`"
    assert any("[4] 11–99" in line for line in template["Use at most %(num)s character."].auto_comments)


# --- direction --------------------------------------------------------------------------------------

LATIN_RUN = re.compile(r"%\((\w+)\)[sd]|[A-Za-z][A-Za-z0-9@._:/\-+?=&#'’ ]*[A-Za-z0-9/]|[A-Za-z]")
TAG = re.compile(r"<[^>]+>")


def unisolated_runs(text: str) -> list[str]:
    """Latin runs and text placeholders in right-to-left text that no isolate encloses."""
    text = TAG.sub("", text)
    if not re.search(r"[\u0590-\u08ff]", text):
        return []
    found = []
    for match in LATIN_RUN.finditer(text):
        if match.group(1) in NUMERIC_PLACEHOLDERS:
            continue
        before = text[:match.start()]
        if sum(before.count(mark) for mark in ISOLATES) - before.count(PDI) <= 0:
            found.append(match.group(0))
    return found


@pytest.mark.parametrize("language", RIGHT_TO_LEFT)
def test_latin_runs_in_right_to_left_strings_are_isolated(language):
    """"يبدأ بـ http:// أو https://" shows as "//:http" unless the Latin run is isolated (U+2066 … U+2069;
    U+2068 for a placeholder whose value may be in either direction)."""
    problems = [(message.id if isinstance(message.id, str) else message.id[0], run)
                for message in catalogue(language) if message.id
                for form in forms_of(message) for run in unisolated_runs(form)]
    assert problems == []


# --- typography --------------------------------------------------------------------------------------

NOT_PROSE = re.compile(r"<[^>]+>|%\(\w+\)[sd]|https?://\S+|\w+@\w[\w.]+")


def test_french_typography():
    """A no-break space before ; : ! ? and » and after «, and the typographic apostrophe (GLOSSARY.md)."""
    problems = []
    for message in catalogue("fr"):
        for form in forms_of(message) if message.id else ():
            prose = NOT_PROSE.sub(" ", form)
            if "'" in prose or re.search(r"[^\u00a0\u202f][;:!?»]|«[^\u00a0\u202f]", prose):
                problems.append(form)
    assert problems == []


# --- placeholders the code passes --------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
GETTEXT_NAMES = {"_", "gettext", "_l", "lazy_gettext", "ngettext", "lazy_ngettext"}


def _python_calls() -> list[tuple[str, str, set[str] | None]]:
    """(where, msgid, keyword names or None when passed some other way) for each gettext call in the code."""
    calls = []
    for path in sorted((PROJECT_ROOT / "campaign").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names = None if any(keyword.arg is None for keyword in node.keywords) else \
                    {keyword.arg for keyword in node.keywords if keyword.arg}
                if node.func.id in ("_l", "lazy_gettext", "lazy_ngettext"):
                    names = None  # lazy strings are formatted where they are used
                strings = [node.args[0].value] + ([node.args[1].value] if node.func.id.endswith("ngettext")
                                                  and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
                                                  else [])
                keywords = names | {"num"} if names is not None and node.func.id.endswith("ngettext") else names
                calls += [(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}", text, keywords) for text in strings]
    return calls


def _template_calls() -> list[tuple[str, str, set[str] | None]]:
    environment = Environment(extensions=["jinja2.ext.i18n"])
    calls = []
    for path in sorted((PROJECT_ROOT / "templates").rglob("*.*")):
        tree = environment.parse(path.read_text(encoding="utf-8"))
        for call in tree.find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name in GETTEXT_NAMES and call.args \
                    and isinstance(call.args[0], nodes.Const) and isinstance(call.args[0].value, str):
                names = None if call.dyn_kwargs is not None else {keyword.key for keyword in call.kwargs}
                strings = [call.args[0].value]
                if call.node.name == "ngettext" and len(call.args) > 1 and isinstance(call.args[1], nodes.Const):
                    strings.append(call.args[1].value)
                    names = names | {"num"} if names is not None else None
                calls += [(f"{path.relative_to(PROJECT_ROOT)}:{call.lineno}", text, names) for text in strings]
    return calls


def test_every_placeholder_of_a_string_is_passed_where_it_is_used():
    """A string whose placeholder the code or template does not pass fails only when that page or email
    is rendered in a language; this reads every call instead."""
    missing = []
    for where, text, names in _python_calls() + _template_calls():
        if names is None:
            continue
        needed = set(PLACEHOLDER.findall(text))
        if needed - names:
            missing.append((where, text[:60], sorted(needed - names)))
    assert missing == []


# --- the glossary --------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def glossary() -> dict:
    with open(TRANSLATIONS / "glossary.toml", "rb") as handle:
        return tomllib.load(handle)


def _excepted(language: str, term: str, text: str) -> bool:
    return any(exception["lang"] == language and exception["term"] == term
               and text.strip().startswith(exception["where"].strip()[:40])
               for exception in glossary().get("exception", []))


def _letter(language: str) -> str:
    return next(LETTERS.glob(f"*/{language}.md")).read_text(encoding="utf-8")


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.split("\n\n") if part.strip()]


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_glossary_terms_are_used_and_their_wrong_variants_are_not(language):
    problems = []
    entries = [(message.id if isinstance(message.id, str) else message.id[0],
                " ".join(message.id) if isinstance(message.id, (tuple, list)) else message.id,
                " ".join(forms_of(message))) for message in catalogue(language) if message.id]
    places = entries + [(paragraph, paragraph, paragraph) for paragraph in _paragraphs(_letter(language))]
    for term in glossary()["term"]:
        rules = term.get(language)
        if not rules:
            continue
        use = [form.lower() for form in rules.get("use", [])]
        for key, english, translated in entries:
            if any(form in english.lower() for form in term["en"]) and use \
                    and not any(form in translated.lower() for form in use) and not _excepted(language, term["id"], key):
                problems.append((term["id"], "not used", key[:60]))
        for key, _english, translated in places:
            for wrong in rules.get("avoid", []):
                if wrong.lower() in translated.lower() and not _excepted(language, term["id"], key):
                    problems.append((term["id"], f"avoid “{wrong}”", key[:60]))
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_the_letter_uses_the_glossary_wherever_the_original_has_the_term(language):
    original = _letter("en").lower()
    translated = _letter(language).lower()
    missing = [term["id"] for term in glossary()["term"]
               if term.get(language, {}).get("use") and any(form in original for form in term["en"])
               and not any(form.lower() in translated for form in term[language]["use"])
               and not _excepted(language, term["id"], "letter")]
    assert missing == []


def test_the_glossary_names_every_language_and_the_terms_the_issue_asks_for():
    ids = {term["id"] for term in glossary()["term"]}
    assert len(ids) >= 12
    assert all(set(TRANSLATED_LANGUAGES) <= set(term) for term in glossary()["term"]), "a rendering per language"
    assert (TRANSLATIONS / "GLOSSARY.md").is_file()



# --- wording that tests of single pages missed -----------------------------------------------------------

ARABIC_IMPERATIVES = re.compile(
    r"(?<![\u0621-\u064a])(?:أدخ[\u064b-\u0652]?ل|اخت[\u064b-\u0652]?ر|اضغط|انقر|املأ|اكتب|احذف|اترك|افتح)(?![\u0621-\u064a])")


def test_arabic_asks_in_the_neutral_form():
    """Requests read "يُرجى + masdar" (GLOSSARY.md), not a masculine imperative such as أدخِل or اختر."""
    found = [form for message in catalogue("ar") if message.id for form in forms_of(message)
             if ARABIC_IMPERATIVES.search(form)]
    assert found == []


def test_no_string_names_the_letter_right_before_its_title():
    """The title begins "Open letter …": "the open letter “%(title)s”" said it twice, in every language."""
    letter = next(term for term in glossary()["term"] if term["id"] == "letter")
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template = read_po(handle)
    doubled = []
    for language in ["en", *TRANSLATED_LANGUAGES]:
        forms = letter["en"] if language == "en" else letter[language]["use"]
        before_title = re.compile(rf"(?:{'|'.join(map(re.escape, forms))})\W{{0,4}}%\(title\)s")
        catalog = template if language == "en" else catalogue(language)
        for message in catalog:
            texts = (message.id if isinstance(message.id, (tuple, list)) else (message.id,)) if language == "en" \
                else forms_of(message)
            doubled += [(language, text) for text in texts if message.id and before_title.search(text.lower())]
    assert doubled == []


def test_plain_text_emails_add_no_colon_after_a_string_that_has_one():
    """"It wasn't me: remove this signature:" — a colon the template adds after a label that has one."""
    call_then_colon = re.compile(r"""\{\{\s*_\(\s*"([^"]+)"[^}]*\}\}\s*:""")
    problems = []
    for path in sorted((PROJECT_ROOT / "templates" / "email").glob("*.txt")):
        for match in call_then_colon.finditer(path.read_text(encoding="utf-8")):
            msgid = match.group(1)
            texts = [msgid] + [catalogue(language).get(msgid).string for language in TRANSLATED_LANGUAGES
                               if catalogue(language).get(msgid) is not None]
            if any(":" in str(text) for text in texts):
                problems.append((path.name, msgid))
    assert problems == []


def test_every_paragraph_of_every_letter_ends_a_sentence():
    """A paragraph that stops mid-sentence ("Because their very existence") is a sentence split in two."""
    unfinished = []
    for path in sorted(LETTERS.glob("*/*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[-1]
        for block in _paragraphs(body):
            last = block.splitlines()[-1].strip()
            if block.startswith("#") or re.match(r"(\d+\.|[-*]) ", last):
                continue
            if last.rstrip("*_ ")[-1:] not in ".:;!?؟؛…»”\"'’)":
                unfinished.append((path.parent.name + "/" + path.name, last[-40:]))
    assert unfinished == []


#: Wordings the native-speaking reviews corrected (issue 18), kept from coming back: language, the
#: wrong words, the right ones. The glossary holds the terms; these are one-off phrasings.
CORRECTED = [
    ("ar", "الموقّعين أدناه", "«نحن، الموقّعون أدناه»: the subject, in the nominative"),
    ("ar", "وقف اختياري مؤقت", "a moratorium is temporary already: «مؤقت» said it twice"),
    ("ar", "أماكن عملهم للطعن", "workers organise «للاعتراض على» development, not to appeal it"),
    ("fr", "moratoire pourrait", "«même si un moratoire pouvait»: the indicative after «si»"),
    ("fr", "règlements complets", "«réglementations exhaustives»"),
    ("fr", "employés des entreprises", "«travailleurs et travailleuses»: workers, gender-fair"),
    ("pt", "por concepção", "«por sua própria concepção»"),
    ("pt", "estarão sendo", "«serão minados»: no gerund future"),
    ("es", "en el borde", "«en el perímetro» (edge computing)"),
]


@pytest.mark.parametrize("language, wrong, why", CORRECTED)
def test_a_corrected_wording_does_not_come_back(language, wrong, why):
    places = {"letter": _letter(language)} | {
        f"catalogue: {message.id}": " ".join(forms_of(message)) for message in catalogue(language) if message.id}
    found = [place for place, text in places.items() if wrong in text]
    assert found == [], f"{wrong!r} is back ({why})"


#: Words German writes with a capital anywhere in a sentence: the formal address.
GERMAN_ALWAYS_CAPITAL = frozenset({"Sie", "Ihr", "Ihre", "Ihrer", "Ihren", "Ihrem", "Ihres", "Ihnen"})


def test_german_emails_go_on_in_lower_case_after_the_greeting():
    """"Guten Tag Ana," ends with a comma, so the next sentence starts in lower case ("vielen Dank"),
    but for the formal pronoun (or a noun, which would be added to ``GERMAN_ALWAYS_CAPITAL``)."""
    translations = compiled("de")
    checked = []
    for path in sorted((PROJECT_ROOT / "templates" / "email").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        greeting = next((number for number, line in enumerate(lines) if '_("Hello %(name)s,"' in line), None)
        if greeting is None:
            continue
        first = next(line for line in lines[greeting + 1:] if line.strip())
        for message in re.findall(r'_\("((?:[^"\\]|\\.)*)"', first):
            text = translations.gettext(message)
            word = re.match(r"[^\W\d_]+", text)
            if word is None:
                continue  # starts with a placeholder or a quotation
            checked.append(path.name)
            assert word.group() in GERMAN_ALWAYS_CAPITAL or word.group()[0].islower(), f"{path.name}: {text[:60]!r}"
    assert len(set(checked)) >= 4
