from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from surveyapp.i18n import label
from surveyapp.regions.models import MacroRegionalStrategy, PartnershipRole, RegionCategory
from surveyapp.regions.partnerships import PLATFORMS, THEMATIC_PARTNERSHIPS


def partnership_field_name(slug: str) -> str:
    """The form field of a partnership's role (slugs hold hyphens)."""
    return "tp_" + slug.replace("-", "_")


class RegionAttributesForm(FlaskForm):
    """A region's category, roles in the Thematic Partnerships (one select each, added below)
    and macro-regional strategies, with the source of what changes."""

    category = SelectField(
        _l("Category of region 2021-2027"),
        choices=[SelectChoice("", _l("Not set"))]
        + [SelectChoice(c.value, label(c)) for c in RegionCategory],
    )
    strategies = SelectMultipleField(
        _l("Macro-regional strategies"),
        choices=[SelectChoice(s.value, label(s)) for s in MacroRegionalStrategy],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    source = StringField(
        _l("Source"),
        validators=[DataRequired(), Length(max=200)],
        description=_l(
            'Where the facts you change come from, e.g. "Commission Implementing Decision (EU) '
            '2021/1130" or "S3 Platform partnership page, May 2025". Facts you leave as they '
            "are keep their source."
        ),
    )

    def partnership_fields(self):
        """(platform name, [(partnership field)]) in the order of the S3 Platform's pages."""
        return [
            (
                name,
                [
                    self[partnership_field_name(slug)]
                    for slug, (home, _) in THEMATIC_PARTNERSHIPS.items()
                    if home == platform
                ],
            )
            for platform, name in PLATFORMS.items()
        ]


ROLE_CHOICES = [SelectChoice("", _l("Not a member"))] + [
    SelectChoice(role.value, label(role)) for role in PartnershipRole
]
for _slug, (_platform, _name) in THEMATIC_PARTNERSHIPS.items():
    setattr(
        RegionAttributesForm,
        partnership_field_name(_slug),
        SelectField(_name, choices=ROLE_CHOICES, default=""),
    )
