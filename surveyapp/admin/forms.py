from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class RegionGroupForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    codes = TextAreaField(
        _l("Regions"),
        validators=[DataRequired(), Length(max=20000)],
        description=_l("NUTS codes of the member regions, separated by spaces, commas or lines."),
        render_kw={"rows": 4},
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=2000)],
        description=_l("Optional: why these regions are compared with each other."),
        render_kw={"rows": 2},
    )
