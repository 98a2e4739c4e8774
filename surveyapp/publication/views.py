"""The public page of published reports and good practices, and the administrators' switch."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.auth.models import Role
from surveyapp.auth.permissions import role_required
from surveyapp.extensions import db, rate_limit
from surveyapp.i18n import current_lang
from surveyapp.publication.operations import (
    PublicationError,
    counted_assessments,
    live_publication,
    public_score,
    publication_of,
    publish,
    publish_blocker,
    published_rounds,
    withdraw,
)
from surveyapp.publication.queries import counted_in_figures, unvalidated_assessments
from surveyapp.rounds.models import Round

bp = Blueprint("publication", __name__, template_folder="templates")


@bp.get("/published")
def index():
    """Published working-group reports and the good practices of regions that agreed (public)."""
    from surveyapp.reporting.context import published_practices

    lang = current_lang()
    publications = [
        {"publication": p, "practices": published_practices(p.round, lang)}
        for p in published_rounds()
    ]
    return render_template("publication/index.html", publications=publications)


@bp.get("/published/rounds/<int:round_id>/working-group.pdf")
@rate_limit(lambda: current_app.config["PUBLIC_REPORT_LIMIT"])
def working_group_report(round_id: int):
    """A published working-group report (public); 404 when not, or no longer, published."""
    from surveyapp.reporting.catalog import WORKING_GROUP, Job
    from surveyapp.reporting.serve import send_report

    publication = live_publication(round_id) or abort(404)
    round_ = publication.round
    job = Job(
        WORKING_GROUP, round_.id, None, current_lang(), public_score(round_), released_only=True
    )
    return send_report(job, _("Working-group report, %(round)s", round=round_.name))


@bp.get("/admin/rounds/<int:round_id>/publication")
@role_required(Role.admin)
def confirm_publish(round_id: int):
    """Ask before publishing the round's working-group report: anyone can read it then."""
    round_ = db.get_or_404(Round, round_id)
    publication = publication_of(round_)
    if publication is not None and publication.live:
        flash(_("This round's report is published already."), "info")
        return redirect(url_for("admin.list_rounds_page"))
    counted = counted_assessments([round_.id]).get(round_.id, 0)
    blocker = publish_blocker(round_, counted)
    if blocker is not None:
        flash(blocker, "error")
        return redirect(url_for("admin.list_rounds_page"))
    return render_template(
        "publication/confirm.html",
        round=round_,
        action="publish",
        counted=counted,
        validated=counted_in_figures(round_),
    )


@bp.get("/admin/rounds/<int:round_id>/publication/withdraw")
@role_required(Role.admin)
def confirm_withdraw(round_id: int):
    """Ask before taking the round's published report off the public page."""
    round_ = db.get_or_404(Round, round_id)
    publication = publication_of(round_)
    if publication is None or not publication.live:
        flash(_("The report of %(name)s is not published.", name=round_.name), "info")
        return redirect(url_for("admin.list_rounds_page"))
    return render_template("publication/confirm.html", round=round_, action="withdraw")


@bp.get("/admin/rounds/<int:round_id>/release")
@role_required(Role.admin)
def confirm_release(round_id: int):
    """Ask before showing officers the experts' moderated scores of a round (the release
    itself is admin.toggle_release)."""
    round_ = db.get_or_404(Round, round_id)
    if round_.moderated_released:
        flash(_("Officers already see the moderated scores of %(name)s.", name=round_.name), "info")
        return redirect(url_for("admin.list_rounds_page"))
    return render_template(
        "publication/confirm.html",
        round=round_,
        action="release",
        unvalidated=unvalidated_assessments(round_),
    )


@bp.post("/admin/rounds/<int:round_id>/publication")
@role_required(Role.admin)
def toggle(round_id: int):
    """Publish the round's working-group report (``?to=publish``), or withdraw it
    (``?to=withdraw``): the step is named, so a second submit of the same button changes
    nothing."""
    round_ = db.get_or_404(Round, round_id)
    publication = publication_of(round_)
    live = publication is not None and publication.live
    wanted = request.args.get("to")
    if wanted not in ("publish", "withdraw"):
        flash(_("Nothing was changed: reload the page and choose again."), "error")
        return redirect(url_for("admin.list_rounds_page"))
    if (wanted == "publish") == live:
        if live:
            flash(_("This round's report is published already."), "info")
        else:
            flash(_("The report of %(name)s is not published.", name=round_.name), "info")
        return redirect(url_for("admin.list_rounds_page"))
    try:
        if live:
            withdraw(round_, current_user)
            message = _(
                "The report of %(name)s is withdrawn from the public page.", name=round_.name
            )
        else:
            publish(round_, current_user)
            message = _(
                "The report of %(name)s is published: anyone can read it.", name=round_.name
            )
    except PublicationError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.list_rounds_page"))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.list_rounds_page"))
