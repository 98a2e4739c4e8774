"""The app's templates translate through Flask-Babel's public catalogue lookup.

``get_translations()`` follows ``force_locale`` (reports in another language) and keeps each
catalogue per request; the template callables ask it for every string.
"""

from functools import lru_cache

from babel import Locale
from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from markupsafe import Markup, escape


def install_template_gettext(environment) -> None:
    environment.install_gettext_callables(
        gettext=lambda s: get_translations().ugettext(s),
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
    )


def current_lang() -> str:
    """The language of the current request ("en" when none is chosen)."""
    return str(get_locale() or "en")


def label(value):
    """The name for people of a value that has one (a state, role or category: its enum's
    ``label``, a lazy string translated where it is shown, so that choices built at import
    are in the reader's language), else the value itself as text."""
    name = getattr(value, "label", None)
    return str(value) if name is None else name


#: The cookie that keeps a visitor's chosen interface language (a signed-in user's choice is
#: also saved with the account, ``User.language``).
LANGUAGE_COOKIE = "lang"
#: How long a visitor's choice is kept: a year.
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def select_locale() -> str | None:
    """The interface language: the signed-in user's choice, else the visitor's cookie, else
    the browser's preferred language among those offered (CLI: the default)."""
    if not has_request_context():
        return None
    offered = current_app.config["LANGUAGES"]
    chosen = None
    if not g.get("surveyapp_user_unreadable"):  # the page of a database that cannot be read
        user = current_user
        chosen = user.language if user.is_authenticated else None
    if chosen in offered:
        return chosen
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in offered:
        return chosen
    return request.accept_languages.best_match(offered)


@lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """The language's name in itself ("polski" -> "Polski"), as a switcher shows it."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def lang_attribute(lang: str) -> Markup:
    """`` lang="xx"`` for an element whose text is in ``lang`` when the page is in another
    language (WCAG 3.1.2), else nothing."""
    return Markup(f' lang="{escape(lang)}"') if lang != current_lang() else Markup("")  # noqa: S704


#: The session key of the language a user chose for questionnaire texts (the assessment page's
#: switch), apart from the interface's.
QUESTIONNAIRE_LANG = "questionnaire_lang"


def questionnaire_language(definition) -> str:
    """The language a questionnaire's texts are shown in: the one chosen for them this session,
    else the page's language where the questionnaire is complete in it, else English."""
    chosen = session.get(QUESTIONNAIRE_LANG) if has_request_context() else None
    if chosen in definition.languages:
        return chosen
    lang = current_lang()
    return lang if lang in definition.languages else "en"
