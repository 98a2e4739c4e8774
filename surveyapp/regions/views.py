"""Region attributes an administrator maintains: category of region, Thematic Partnerships
with roles, macro-regional strategies; beside the region's own answers about them."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.extensions import db
from surveyapp.forms import show_at_field
from surveyapp.i18n import current_lang
from surveyapp.regions.answers import ITEMS, Comparison, compare, latest_answered
from surveyapp.regions.forms import RegionAttributesForm, partnership_field_name
from surveyapp.regions.models import MacroRegionalStrategy, PartnershipRole, RegionCategory
from surveyapp.regions.operations import (
    RegionAttributes,
    RegionAttributesError,
    set_region_attributes,
)
from surveyapp.regions.partnerships import PLATFORMS, THEMATIC_PARTNERSHIPS
from surveyapp.regions.queries import find_region

bp = Blueprint("regions", __name__, url_prefix="/admin/regions", template_folder="templates")


@bp.app_template_global()
def partnership_comparison(assessment, section=None) -> Comparison | None:
    """The assessment's answers about partnerships beside its region's record, for the pages
    that show an assessment to the working group; with ``section``, only if the section asks
    about them."""
    if section is not None and not any(item.id in ITEMS for item in section.items):
        return None
    return compare(assessment, current_lang())


def _form_for(region) -> RegionAttributesForm:
    data = {
        "category": region.category.value if region.category else "",
        "strategies": [s.strategy.value for s in region.strategies],
        **{partnership_field_name(m.partnership): m.role.value for m in region.partnerships},
    }
    return RegionAttributesForm(data=data)


def _render(region, form: RegionAttributesForm | None, status: int = 200):
    assessment = latest_answered(region)
    return (
        render_template(
            "regions/attributes.html",
            region=region,
            form=form,
            comparison=compare(assessment, current_lang()) if assessment else None,
            partnerships=THEMATIC_PARTNERSHIPS,
            platforms=PLATFORMS,
        ),
        status,
    )


@bp.get("/<code>/attributes")
@role_required(Role.admin, Role.expert)
def view_region_attributes(code: str):
    """The region's recorded attributes beside its own answers; administrators edit them."""
    region = find_region(code) or abort(404)
    return _render(region, _form_for(region) if current_user.role == Role.admin else None)


@bp.post("/<code>/attributes")
@role_required(Role.admin)
def edit_region_attributes(code: str):
    """Save the region's category, partnership roles and strategies with their source."""
    region = find_region(code) or abort(404)
    form = RegionAttributesForm()
    if not form.validate_on_submit():
        return _render(region, form, 422)
    values = RegionAttributes(
        RegionCategory(form.category.data) if form.category.data else None,
        {
            slug: PartnershipRole(form[partnership_field_name(slug)].data)
            for slug in THEMATIC_PARTNERSHIPS
            if form[partnership_field_name(slug)].data
        },
        frozenset(MacroRegionalStrategy(value) for value in form.strategies.data or []),
    )
    try:
        changed = set_region_attributes(region, values, form.source.data, current_user)
    except RegionAttributesError as error:  # refused before anything changed
        show_at_field(form, error, "category")
        return _render(region, form, 422)
    if changed:
        db.session.commit()
        flash(_("The attributes of %(name)s are saved.", name=region.name), "success")
    else:
        flash(_("Nothing changed: the attributes were already as given."), "info")
    return redirect(url_for(".view_region_attributes", code=region.code))
