from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired

from surveyapp.mail.models import Delivery, Topic
from surveyapp.mail.operations import NO_DIGEST


class MailPreferencesForm(FlaskForm):
    """When each topic's emails go out: at once, in a daily digest, or never."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for topic in Topic:
            self[topic.value].choices = [
                (str(delivery), delivery.label)
                for delivery in Delivery
                if not (topic in NO_DIGEST and delivery == Delivery.digest)
            ]


for _topic in Topic:
    setattr(
        MailPreferencesForm,
        _topic.value,
        SelectField(_topic.label, validators=[InputRequired()]),
    )
