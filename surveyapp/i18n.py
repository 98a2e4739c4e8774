"""Template translations looked up once per request and locale, not once per string.

Flask-Babel's template callables look the locale and the catalogue up on every call (about
6 µs each, some fifty per page). These keep the catalogue with the locale it belongs to on the
request's Babel state, so that ``force_locale`` (reports in another language) still switches.
"""

from flask import g
from flask_babel import get_translations


def _translations():
    state = g.get("_flask_babel") if g else None
    if state is not None:
        cached = getattr(state, "surveyapp_translations", None)
        if cached is not None and cached[0] is getattr(state, "babel_locale", None):
            return cached[1]
    translations = get_translations()
    state = g.get("_flask_babel") if g else None
    if state is not None:
        state.surveyapp_translations = (getattr(state, "babel_locale", None), translations)
    return translations


def install_template_gettext(environment) -> None:
    environment.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
