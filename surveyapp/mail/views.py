from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveyapp.auth.models import User
from surveyapp.extensions import csrf, db
from surveyapp.mail.forms import MailPreferencesForm
from surveyapp.mail.models import Delivery, Topic
from surveyapp.mail.operations import delivery_for, read_unsubscribe_token, set_delivery

bp = Blueprint("mail", __name__, template_folder="templates")


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def preferences():
    """Which emails one receives, and when."""
    user = db.session.get(User, current_user.id)
    form = MailPreferencesForm()
    if request.method == "GET":
        for topic in Topic:
            form[topic.value].data = str(delivery_for(user, topic))
    if form.validate_on_submit():
        for topic in Topic:
            set_delivery(user, topic, Delivery(form[topic.value].data))
        db.session.commit()
        flash(_("Your email choices are saved."), "success")
        return redirect(url_for(".preferences"))
    enabled = bool(current_app.config.get("MAIL_SERVER"))
    return render_template("mail/preferences.html", form=form, enabled=enabled)


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail programs post the one-click unsubscribe without a form (RFC 8058)
def unsubscribe(token: str):
    """Stop one topic's emails: a button on the page, or one click in the mail program."""
    found = read_unsubscribe_token(token)
    if found is None:
        message = _("This link is not valid. Choose your emails on your account page.")
        return render_template("error.html", code=404, message=message), 404
    user, topic = found
    done = request.method == "POST"
    if done:
        set_delivery(user, topic, Delivery.off)
        db.session.commit()
    return render_template("mail/unsubscribe.html", topic=topic, done=done, token=token)
