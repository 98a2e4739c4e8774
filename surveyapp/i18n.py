"""The app's templates translate through Flask-Babel's public catalogue lookup.

``get_translations()`` follows ``force_locale`` (reports in another language) and keeps each
catalogue per request; the template callables ask it for every string.
"""

from flask_babel import get_locale, get_translations


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
