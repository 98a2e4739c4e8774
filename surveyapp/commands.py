"""What every feature's CLI commands share: one transaction per command, and the errors whose
message is for the person at the terminal."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import click

from surveyapp.auth.operations import AccountError
from surveyapp.backup.operations import BackupError
from surveyapp.demo.operations import DemoRefused
from surveyapp.extensions import db
from surveyapp.questionnaires.definition import DefinitionError
from surveyapp.questionnaires.operations import QuestionnaireInUse
from surveyapp.regions.attributes_file import AttributesFileError
from surveyapp.regions.indicators_file import IndicatorFileError
from surveyapp.regions.nuts_file import RegionFileError
from surveyapp.regions.population_file import PopulationFileError
from surveyapp.rounds.models import InvalidRoundTransition
from surveyapp.rounds.operations import RoundError
from surveyapp.text import clean_value

#: Errors whose message is meant for the person at the terminal.
USER_ERRORS = (
    AccountError,
    BackupError,
    DemoRefused,
    DefinitionError,
    QuestionnaireInUse,
    RegionFileError,
    PopulationFileError,
    IndicatorFileError,
    AttributesFileError,
    RoundError,
    InvalidRoundTransition,
)


def transactional(command: Callable) -> Callable:
    """Commit once when the command succeeds; roll back and exit non-zero with the message.

    Text arguments (not paths) are cleaned first (surveyapp.text.clean_text): one that was not
    UTF-8 reaches Python with lone surrogates, which neither the database nor the terminal
    takes.
    """

    @wraps(command)
    def wrapper(*args, **kwargs):
        params = click.get_current_context().command.params
        paths = {param.name for param in params if isinstance(param.type, click.Path)}
        kwargs = {name: v if name in paths else clean_value(v) for name, v in kwargs.items()}
        try:
            result = command(*args, **kwargs)
            db.session.commit()
            return result
        except USER_ERRORS as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        except BaseException:
            db.session.rollback()
            raise

    return wrapper
