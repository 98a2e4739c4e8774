"""Every model, imported in one place so that the metadata is complete (Alembic, tests)."""

from surveyapp.actions.models import Action, ActionUpdate
from surveyapp.api.models import ApiToken
from surveyapp.assessments.models import Answer, Assessment, SectionAssignment, SectionPresence
from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import RecoveryCode, User, region_memberships
from surveyapp.challenges.models import ChallengeCategory, ChallengeTag
from surveyapp.contacts.models import ContactRequest
from surveyapp.evidence.models import EvidenceContent, EvidenceFile
from surveyapp.mail.models import MailPreference, OutgoingMail
from surveyapp.notifications.models import Notification
from surveyapp.practices.models import GoodPractice
from surveyapp.publication.models import Publication
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.regions.models import Region, RegionGroup, region_group_members
from surveyapp.reporting.models import RenderedReport
from surveyapp.reviews.models import ItemComment, ModeratedScore, SectionRemark
from surveyapp.rounds.models import Round

__all__ = [
    "Action",
    "ActionUpdate",
    "Answer",
    "ApiToken",
    "Assessment",
    "AuditEvent",
    "ChallengeCategory",
    "ChallengeTag",
    "ContactRequest",
    "EvidenceContent",
    "EvidenceFile",
    "GoodPractice",
    "ItemComment",
    "MailPreference",
    "ModeratedScore",
    "Notification",
    "OutgoingMail",
    "Publication",
    "Questionnaire",
    "RecoveryCode",
    "Region",
    "RegionGroup",
    "RenderedReport",
    "Round",
    "SectionAssignment",
    "SectionPresence",
    "SectionRemark",
    "User",
    "region_group_members",
    "region_memberships",
]
