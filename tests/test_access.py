"""Who may do what: a matrix over every route, roles, and region B's assessments.

Adding a route without adding it to MATRIX fails ``test_every_route_is_in_the_matrix``.
"""

import re

import pytest

from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import save_answer
from surveyapp.auth.models import Role
from surveyapp.extensions import db

ROLES = ["anonymous", "officer_a", "officer_b", "expert", "admin"]


def row(anonymous, officer_a, officer_b, expert, admin):
    return dict(zip(ROLES, (anonymous, officer_a, officer_b, expert, admin), strict=True))


#: (endpoint, method) -> expected status per role, for region B's assessment in each state.
#: Region B's draft is visible to its officers only; a submitted one to experts and admins too,
#: but only officers of B ever change it, and only while it is theirs to change.
MATRIX = {
    ("main.home", "GET"): {
        "draft": row(302, 200, 200, 200, 200),
        "submitted": row(302, 200, 200, 200, 200),
    },
    ("auth.login", "GET"): {
        "draft": row(200, 302, 302, 302, 302),
        "submitted": row(200, 302, 302, 302, 302),
    },
    ("auth.login", "POST"): {
        "draft": row(422, 302, 302, 302, 302),
        "submitted": row(422, 302, 302, 302, 302),
    },
    ("auth.logout", "POST"): {
        "draft": row(302, 302, 302, 302, 302),
        "submitted": row(302, 302, 302, 302, 302),
    },
    ("assessments.start_assessment", "POST"): {
        "draft": row(302, 404, 302, 404, 404),
        "submitted": row(302, 404, 302, 404, 404),
    },
    ("assessments.view_assessment", "GET"): {
        "draft": row(302, 404, 200, 404, 404),
        "submitted": row(302, 404, 200, 200, 200),
    },
    ("assessments.edit_section", "GET"): {
        "draft": row(302, 404, 200, 404, 404),
        "submitted": row(302, 404, 200, 200, 200),
    },
    ("assessments.save_section", "POST"): {  # the region's officer, after the submit: 409
        "draft": row(302, 404, 302, 404, 404),  # and what was sent, shown (not saved)
        "submitted": row(302, 404, 409, 403, 403),
    },
    ("assessments.autosave_answer", "POST"): {
        "draft": row(401, 404, 200, 404, 404),
        "submitted": row(401, 404, 403, 403, 403),
    },
    # Evidence files: seen by whoever sees the response, attached while the region may change
    # it (tests/test_evidence.py; here the loop's earlier assessments.submit has submitted the
    # draft by then: 403). File 999 is none of the response's.
    ("evidence.list_files", "GET"): {
        "draft": row(302, 404, 200, 404, 404),
        "submitted": row(302, 404, 200, 200, 200),
    },
    ("evidence.download_all", "GET"): {
        "draft": row(302, 404, 200, 404, 404),
        "submitted": row(302, 404, 200, 200, 200),
    },
    ("evidence.attach", "POST"): {
        "draft": row(302, 404, 403, 404, 404),
        "submitted": row(302, 404, 403, 403, 403),
    },
    ("evidence.download", "GET"): {
        "draft": row(302, 404, 404, 404, 404),
        "submitted": row(302, 404, 404, 404, 404),
    },
    ("evidence.remove", "POST"): {
        "draft": row(302, 404, 404, 404, 404),
        "submitted": row(302, 404, 404, 404, 404),
    },
    # Who does what: the region's officers while the response is theirs to change (a POST
    # with no choice leaves every section to nobody: 302).
    ("assessments.edit_assignments", "GET"): {
        "draft": row(302, 404, 200, 404, 404),
        "submitted": row(302, 404, 403, 403, 403),
    },
    ("assessments.save_assignments", "POST"): {
        "draft": row(302, 404, 302, 404, 404),
        "submitted": row(302, 404, 403, 403, 403),
    },
    ("assessments.carry_forward_answers", "POST"): {
        "draft": row(302, 404, 302, 404, 404),
        "submitted": row(302, 404, 403, 403, 403),
    },
    ("assessments.confirm_carried_answer", "POST"): {
        "draft": row(302, 404, 302, 404, 404),
        "submitted": row(302, 404, 403, 403, 403),
    },
    ("assessments.confirm_carried_section", "POST"): {
        "draft": row(302, 404, 302, 404, 404),
        "submitted": row(302, 404, 403, 403, 403),
    },
    ("assessments.review_submission", "GET"): {
        "draft": row(302, 404, 200, 404, 404),
        "submitted": row(302, 404, 200, 200, 200),
    },
    ("assessments.submit", "POST"): {
        "draft": row(302, 404, 302, 404, 404),
        "submitted": row(302, 404, 302, 403, 403),
    },
    ("assessments.assessment_history", "GET"): {
        "draft": row(302, 404, 200, 404, 404),
        "submitted": row(302, 404, 200, 200, 200),
    },
    ("assessments.print_assessment", "GET"): {
        "draft": row(302, 404, 200, 404, 404),
        "submitted": row(302, 404, 200, 200, 200),
    },
    ("auth.reset_password", "GET"): {
        "draft": row(404, 404, 404, 404, 404),
        "submitted": row(404, 404, 404, 404, 404),
    },
    ("auth.reset_password", "POST"): {
        "draft": row(404, 404, 404, 404, 404),
        "submitted": row(404, 404, 404, 404, 404),
    },
    # OpenID Connect sign-in is off unless OIDC_ISSUER is set (tests/test_oidc.py turns it on).
    ("auth.oidc_login", "GET"): {
        "draft": row(404, 404, 404, 404, 404),
        "submitted": row(404, 404, 404, 404, 404),
    },
    ("auth.oidc_callback", "GET"): {
        "draft": row(404, 404, 404, 404, 404),
        "submitted": row(404, 404, 404, 404, 404),
    },
    ("admin.list_users", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("admin.issue_reset_link", "POST"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("admin.deactivate_user", "POST"): {
        "draft": row(302, 403, 403, 403, 302),
        "submitted": row(302, 403, 403, 403, 302),
    },
    ("admin.activate_user", "POST"): {
        "draft": row(302, 403, 403, 403, 302),
        "submitted": row(302, 403, 403, 403, 302),
    },
    ("admin.list_rounds_page", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("admin.list_rounds_page", "POST"): {
        "draft": row(302, 403, 403, 403, 422),
        "submitted": row(302, 403, 403, 403, 422),
    },
    ("admin.confirm_close_round", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    # The round is open already, its scores are not released and its report is not published:
    # back to the rounds page, with a word.
    ("admin.audit_log", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("admin.confirm_open_round", "GET"): {
        "draft": row(302, 403, 403, 403, 302),
        "submitted": row(302, 403, 403, 403, 302),
    },
    ("admin.confirm_withhold", "GET"): {
        "draft": row(302, 403, 403, 403, 302),
        "submitted": row(302, 403, 403, 403, 302),
    },
    ("publication.confirm_withdraw", "GET"): {
        "draft": row(302, 403, 403, 403, 302),
        "submitted": row(302, 403, 403, 403, 302),
    },
    ("admin.move_round", "POST"): {
        "draft": row(302, 403, 403, 403, 302),
        "submitted": row(302, 403, 403, 403, 302),
    },
    ("admin.view_round", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    # The administrator closed the round just before (admin.move_round, step "close"): a
    # closed round keeps its reference date, so the form comes back with that error.
    ("admin.change_reference_date", "POST"): {
        "draft": row(302, 403, 403, 403, 422),
        "submitted": row(302, 403, 403, 403, 422),
    },
    ("admin.list_regions", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("admin.view_region", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    # Experts read a region's recorded attributes beside its answers; administrators edit them
    # (an empty form: the source is missing).
    ("regions.view_region_attributes", "GET"): {
        "draft": row(302, 403, 403, 200, 200),
        "submitted": row(302, 403, 403, 200, 200),
    },
    ("regions.edit_region_attributes", "POST"): {
        "draft": row(302, 403, 403, 403, 422),
        "submitted": row(302, 403, 403, 403, 422),
    },
    ("admin.toggle_release", "POST"): {
        "draft": row(302, 403, 403, 403, 302),
        "submitted": row(302, 403, 403, 403, 302),
    },
    ("admin.new_user", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("admin.new_user", "POST"): {
        "draft": row(302, 403, 403, 403, 422),
        "submitted": row(302, 403, 403, 403, 422),
    },
    ("admin.edit_user", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("admin.edit_user", "POST"): {
        "draft": row(302, 403, 403, 403, 422),
        "submitted": row(302, 403, 403, 403, 422),
    },
    ("admin.list_groups", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("admin.list_groups", "POST"): {
        "draft": row(302, 403, 403, 403, 422),
        "submitted": row(302, 403, 403, 403, 422),
    },
    ("admin.edit_group", "GET"): {
        "draft": row(302, 403, 403, 403, 404),
        "submitted": row(302, 403, 403, 403, 404),
    },
    ("admin.edit_group", "POST"): {
        "draft": row(302, 403, 403, 403, 404),
        "submitted": row(302, 403, 403, 403, 404),
    },
    ("admin.confirm_delete_group", "GET"): {
        "draft": row(302, 403, 403, 403, 404),
        "submitted": row(302, 403, 403, 403, 404),
    },
    ("admin.delete_group", "POST"): {
        "draft": row(302, 403, 403, 403, 404),
        "submitted": row(302, 403, 403, 403, 404),
    },
    ("auth.change_password", "GET"): {
        "draft": row(302, 200, 200, 200, 200),
        "submitted": row(302, 200, 200, 200, 200),
    },
    ("auth.change_password", "POST"): {
        "draft": row(302, 422, 422, 422, 422),
        "submitted": row(302, 422, 422, 422, 422),
    },
    ("api_tokens.list_tokens", "GET"): {
        "draft": row(302, 200, 200, 200, 200),
        "submitted": row(302, 200, 200, 200, 200),
    },
    ("api_tokens.create_token", "POST"): {
        "draft": row(302, 422, 422, 422, 422),
        "submitted": row(302, 422, 422, 422, 422),
    },
    ("api_tokens.confirm_revoke", "GET"): {
        "draft": row(302, 404, 404, 404, 404),
        "submitted": row(302, 404, 404, 404, 404),
    },
    ("api_tokens.revoke", "POST"): {
        "draft": row(302, 404, 404, 404, 404),
        "submitted": row(302, 404, 404, 404, 404),
    },
    ("analysis.index", "GET"): {
        "draft": row(302, 200, 200, 200, 200),
        "submitted": row(302, 200, 200, 200, 200),
    },
    ("analysis.region_view", "GET"): {
        "draft": row(302, 403, 200, 200, 200),
        "submitted": row(302, 403, 200, 200, 200),
    },
    # Region B's report: a PDF for whoever may see its benchmark (an empty one for a draft).
    ("analysis.region_report", "GET"): {
        "draft": row(302, 403, 200, 200, 200),
        "submitted": row(302, 403, 200, 200, 200),
    },
    ("analysis.working_group_view", "GET"): {
        "draft": row(302, 403, 403, 200, 200),
        "submitted": row(302, 403, 403, 200, 200),
    },
    ("api.openapi", "GET"): {
        "draft": row(200, 200, 200, 200, 200),
        "submitted": row(200, 200, 200, 200, 200),
    },
    ("api.rounds", "GET"): {
        "draft": row(401, 200, 200, 200, 200),
        "submitted": row(401, 200, 200, 200, 200),
    },
    # Officer B's draft was submitted by the submit route earlier in the same matrix run.
    ("api.region_benchmark", "GET"): {
        "draft": row(401, 403, 200, 404, 404),
        "submitted": row(401, 403, 200, 200, 200),
    },
    ("api.partners", "GET"): {
        "draft": row(401, 403, 200, 404, 404),
        "submitted": row(401, 403, 200, 200, 200),
    },
    ("api.groups", "GET"): {
        "draft": row(401, 200, 200, 200, 200),
        "submitted": row(401, 200, 200, 200, 200),
    },
    ("api.group_aggregates", "GET"): {
        "draft": row(401, 200, 200, 200, 200),
        "submitted": row(401, 200, 200, 200, 200),
    },
    ("api.trend", "GET"): {
        "draft": row(401, 200, 200, 200, 200),
        "submitted": row(401, 200, 200, 200, 200),
    },
    # Review routes come after the submit route: officer B's draft is submitted by then.
    ("reviews.queue", "GET"): {
        "draft": row(302, 403, 403, 200, 200),
        "submitted": row(302, 403, 403, 200, 200),
    },
    ("reviews.review_section", "GET"): {
        "draft": row(302, 403, 403, 404, 404),
        "submitted": row(302, 403, 403, 200, 200),
    },
    ("reviews.review", "GET"): {
        "draft": row(302, 403, 403, 404, 404),
        "submitted": row(302, 403, 403, 302, 302),
    },
    # An expert posting nothing to the review page: no such item (404).
    ("reviews.save_review", "POST"): {  # submitted: an empty post names no form (400)
        "draft": row(302, 403, 403, 404, 403),  # a draft: no review page at all
        "submitted": row(302, 403, 403, 400, 403),
    },
    ("reviews.start", "POST"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 302, 403),
    },
    # The expert holds the review by then: nothing to take over, back to the review.
    ("reviews.confirm_take_over", "GET"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 302, 403),
    },
    ("reviews.take_over", "POST"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 302, 403),
    },
    ("reviews.confirm_changes", "GET"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 200, 403),
    },
    # No covering message: refused at the field of the confirmation page.
    ("reviews.changes", "POST"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 422, 403),
    },
    ("reviews.confirm_validate", "GET"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 200, 403),
    },
    ("reviews.validate", "POST"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 302, 403),
    },
    # An empty comment: a message for officers. The expert validated just before: the
    # discussion is closed (403).
    ("reviews.comment", "POST"): {
        "draft": row(302, 404, 302, 404, 403),
        "submitted": row(302, 404, 302, 403, 403),
    },
    ("reviews.resolve", "POST"): {
        "draft": row(302, 404, 404, 404, 404),
        "submitted": row(302, 404, 404, 404, 404),
    },
    ("practices.list_practices", "GET"): {
        "draft": row(302, 200, 200, 200, 200),
        "submitted": row(302, 200, 200, 200, 200),
    },
    # Validated earlier in the run: an empty title is refused at the field.
    ("practices.mark", "POST"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 422, 403),
    },
    ("practices.edit", "GET"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 404, 403),
    },
    ("practices.edit", "POST"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 404, 403),
    },
    ("practices.delete", "POST"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 404, 403),
    },
    ("challenges.overview", "GET"): {
        "draft": row(302, 403, 403, 200, 200),
        "submitted": row(302, 403, 403, 200, 200),
    },
    ("challenges.answers", "GET"): {
        "draft": row(302, 403, 403, 404, 404),
        "submitted": row(302, 403, 403, 404, 404),
    },
    # "maturity" is not a written answer: nothing to tag.
    ("challenges.tag", "POST"): {
        "draft": row(302, 403, 403, 404, 403),
        "submitted": row(302, 403, 403, 404, 403),
    },
    ("challenges.taxonomy", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("challenges.taxonomy", "POST"): {
        "draft": row(302, 403, 403, 403, 422),
        "submitted": row(302, 403, 403, 403, 422),
    },
    ("challenges.toggle", "POST"): {
        "draft": row(302, 403, 403, 403, 404),
        "submitted": row(302, 403, 403, 403, 404),
    },
    ("actions.plan", "GET"): {
        "draft": row(302, 404, 200, 200, 200),
        "submitted": row(302, 404, 200, 200, 200),
    },
    # An empty action: 422 at the field for those who plan; administrators only read.
    ("actions.add", "POST"): {
        "draft": row(302, 404, 422, 422, 403),
        "submitted": row(302, 404, 422, 422, 403),
    },
    ("actions.progress", "POST"): {
        "draft": row(302, 404, 404, 404, 404),
        "submitted": row(302, 404, 404, 404, 404),
    },
    ("actions.overview", "GET"): {
        "draft": row(302, 403, 403, 200, 200),
        "submitted": row(302, 403, 403, 200, 200),
    },
    ("reporting.export", "GET"): {
        "draft": row(302, 403, 403, 200, 200),
        "submitted": row(302, 403, 403, 200, 200),
    },
    ("reporting.working_group_report", "GET"): {
        "draft": row(302, 403, 403, 200, 200),
        "submitted": row(302, 403, 403, 200, 200),
    },
    # Public: the published reports, no sign-in; an unpublished round's report is not found.
    ("publication.index", "GET"): {
        "draft": row(200, 200, 200, 200, 200),
        "submitted": row(200, 200, 200, 200, 200),
    },
    ("publication.working_group_report", "GET"): {
        "draft": row(404, 404, 404, 404, 404),
        "submitted": row(404, 404, 404, 404, 404),
    },
    # The round is open: not offered for publication (back to the rounds page).
    ("publication.confirm_publish", "GET"): {
        "draft": row(302, 403, 403, 403, 302),
        "submitted": row(302, 403, 403, 403, 302),
    },
    # admin.toggle_release was posted earlier in the run without naming its step (?to=...),
    # which changes nothing: the scores are not released, so the page asks.
    ("publication.confirm_release", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("publication.toggle", "POST"): {
        "draft": row(302, 403, 403, 403, 302),
        "submitted": row(302, 403, 403, 403, 302),
    },
    # The whole response as PDF: like the print view.
    ("reporting.response_report", "GET"): {
        "draft": row(302, 404, 200, 404, 404),
        "submitted": row(302, 404, 200, 200, 200),
    },
    # The same response as XLSX and DOCX, for the region's sign-off: read like the PDF.
    ("reporting.export_response_xlsx", "GET"): {
        "draft": row(302, 404, 200, 404, 404),
        "submitted": row(302, 404, 200, 200, 200),
    },
    ("reporting.export_response_docx", "GET"): {
        "draft": row(302, 404, 200, 404, 404),
        "submitted": row(302, 404, 200, 200, 200),
    },
    # For load balancers: alive for anyone; not ready on the tests' database, which is built
    # by create_all, not by the migrations (tests/test_health.py checks a migrated one).
    ("health.healthz", "GET"): {
        "draft": row(200, 200, 200, 200, 200),
        "submitted": row(200, 200, 200, 200, 200),
    },
    ("health.readyz", "GET"): {
        "draft": row(503, 503, 503, 503, 503),
        "submitted": row(503, 503, 503, 503, 503),
    },
    # Contact between regions: officers only; no request 999 (404), no round 0 (404).
    ("contacts.list_requests", "GET"): {
        "draft": row(302, 200, 200, 403, 403),
        "submitted": row(302, 200, 200, 403, 403),
    },
    ("contacts.new_request", "GET"): {
        "draft": row(302, 404, 404, 403, 403),
        "submitted": row(302, 404, 404, 403, 403),
    },
    ("contacts.new_request", "POST"): {
        "draft": row(302, 404, 404, 403, 403),
        "submitted": row(302, 404, 404, 403, 403),
    },
    ("contacts.answer", "POST"): {
        "draft": row(302, 404, 404, 403, 403),
        "submitted": row(302, 404, 404, 403, 403),
    },
    # The interface language: anyone; an empty choice is refused on the page (200).
    ("auth.choose_language", "GET"): {
        "draft": row(200, 200, 200, 200, 200),
        "submitted": row(200, 200, 200, 200, 200),
    },
    ("auth.choose_language", "POST"): {
        "draft": row(200, 200, 200, 200, 200),
        "submitted": row(200, 200, 200, 200, 200),
    },
    # The questionnaire's language: whoever may see the assessment (an empty choice: back).
    ("assessments.choose_questionnaire_language", "POST"): {
        "draft": row(302, 404, 302, 404, 404),
        "submitted": row(302, 404, 302, 302, 302),
    },
    # Forgot password: anyone (mail is off in the tests: the page says whom to ask).
    ("auth.forgot_password", "GET"): {
        "draft": row(200, 200, 200, 200, 200),
        "submitted": row(200, 200, 200, 200, 200),
    },
    ("auth.forgot_password", "POST"): {
        "draft": row(200, 200, 200, 200, 200),
        "submitted": row(200, 200, 200, 200, 200),
    },
    # Email choices: one's own; an unsubscribe link that is not genuine: 404 for anyone.
    ("mail.preferences", "GET"): {
        "draft": row(302, 200, 200, 200, 200),
        "submitted": row(302, 200, 200, 200, 200),
    },
    ("mail.preferences", "POST"): {
        "draft": row(302, 200, 200, 200, 200),
        "submitted": row(302, 200, 200, 200, 200),
    },
    ("mail.unsubscribe", "GET"): {
        "draft": row(404, 404, 404, 404, 404),
        "submitted": row(404, 404, 404, 404, 404),
    },
    ("mail.unsubscribe", "POST"): {
        "draft": row(404, 404, 404, 404, 404),
        "submitted": row(404, 404, 404, 404, 404),
    },
    # Two-factor: the second sign-in step needs a password accepted a moment ago (302 to the
    # sign-in page without one); setting it up and the account page: anyone signed in (an
    # empty code: 422); the administrator's reset: administrators only.
    ("auth.two_factor_code", "GET"): {
        "draft": row(302, 302, 302, 302, 302),
        "submitted": row(302, 302, 302, 302, 302),
    },
    ("auth.two_factor_code", "POST"): {
        "draft": row(302, 302, 302, 302, 302),
        "submitted": row(302, 302, 302, 302, 302),
    },
    ("auth.two_factor_setup", "GET"): {
        "draft": row(302, 200, 200, 200, 200),
        "submitted": row(302, 200, 200, 200, 200),
    },
    ("auth.two_factor_setup", "POST"): {
        "draft": row(302, 422, 422, 422, 422),
        "submitted": row(302, 422, 422, 422, 422),
    },
    ("auth.two_factor_account", "GET"): {
        "draft": row(302, 200, 200, 200, 200),
        "submitted": row(302, 200, 200, 200, 200),
    },
    ("auth.two_factor_account", "POST"): {
        "draft": row(302, 422, 422, 422, 422),
        "submitted": row(302, 422, 422, 422, 422),
    },
    ("admin.reset_two_factor", "POST"): {
        "draft": row(302, 403, 403, 403, 302),
        "submitted": row(302, 403, 403, 403, 302),
    },
    # Personal data of an account: administrators only (an empty confirmation: 422).
    ("admin.export_user_data", "POST"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("admin.erase_user_data", "GET"): {
        "draft": row(302, 403, 403, 403, 200),
        "submitted": row(302, 403, 403, 403, 200),
    },
    ("admin.erase_user_data", "POST"): {
        "draft": row(302, 403, 403, 403, 422),
        "submitted": row(302, 403, 403, 403, 422),
    },
    ("api.contact_requests", "GET"): {
        "draft": row(401, 200, 200, 200, 200),
        "submitted": row(401, 200, 200, 200, 200),
    },
    ("notifications.list_notifications", "GET"): {
        "draft": row(302, 200, 200, 200, 200),
        "submitted": row(302, 200, 200, 200, 200),
    },
    ("notifications.mark_read", "POST"): {
        "draft": row(302, 302, 302, 302, 302),
        "submitted": row(302, 302, 302, 302, 302),
    },
    ("assessments.csrf_token", "GET"): {
        "draft": row(302, 200, 200, 200, 200),
        "submitted": row(302, 200, 200, 200, 200),
    },
}


def app_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_in_the_matrix(app):
    missing = [(r.endpoint, m) for r, m in app_routes(app) if (r.endpoint, m) not in MATRIX]
    assert missing == [], f"add these routes to MATRIX in {__file__}: {missing}"


@pytest.fixture
def world(create_region, create_user, create_round, create_assessment):
    region_a, region_b = create_region("ES21", "País Vasco"), create_region("ES22", "Navarra")
    round_ = create_round()
    users = {
        "officer_a": create_user(email="a@example.org", regions=[region_a]),
        "officer_b": create_user(email="b@example.org", regions=[region_b]),
        "expert": create_user(email="e@example.org", role=Role.expert),
        "admin": create_user(email="admin@example.org", role=Role.admin),
    }
    assessment = create_assessment(region=region_b, round_=round_)
    save_answer(assessment, "maturity", 3, users["officer_b"])
    save_answer(assessment, "practice", "Navarra's secret practice", users["officer_b"])
    db.session.commit()
    return {"users": users, "assessment": assessment, "round": round_, "region_b": region_b}


def url_for_rule(rule, world):
    values = {
        "token": "not-a-token",
        "user_id": world["users"]["officer_a"].id,
        "assessment_id": world["assessment"].id,
        "section_id": "basics",
        "item_id": "maturity",
        "round_id": world["round"].id,
        "code": "ES22",
        "key": "all",
        "group_id": 999,
        "token_id": 999,
        "comment_id": 999,
        "practice_id": 999,
        "request_id": 999,
        "action": "accept",
        "step": "close",
        "category_id": 999,
        "action_id": 999,
        "fmt": "csv",
        "file_id": 999,
    }
    converter = r"(?:\w+(?:\([^)]*\))?:)?"  # e.g. int: or any(open, close):
    return re.sub(rf"<{converter}(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


def request(client, method, url, endpoint):
    if endpoint == "assessments.autosave_answer":
        return client.post(url, json={"value": ["4"], "version": 1})
    if endpoint == "auth.login" and method == "POST":
        return client.post(url, data={"email": "nobody@example.org", "password": "x"})
    return client.open(url, method=method)


@pytest.mark.parametrize("state", ["draft", "submitted"])
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, world, login, role, state):
    if state == "submitted":
        world["assessment"].state = AssessmentState.submitted
        db.session.commit()
    failures = []
    for rule, method in app_routes(app):
        client = app.test_client()
        if role != "anonymous":
            login(world["users"][role], client=client)
        url = url_for_rule(rule, world)
        response = request(client, method, url, rule.endpoint)
        expected = MATRIX[(rule.endpoint, method)][state][role]
        if response.status_code != expected:
            failures.append(
                f"{method} {url} ({rule.endpoint}): {response.status_code}, expected {expected}"
            )
        if response.status_code in (403, 404) and "secret practice" in response.get_data(True):
            failures.append(f"{method} {url}: region B's data in a refused response")
        response.close()  # a download is sent from a file, closed with its response
    assert failures == []


#: Posted by mail programs without a form (RFC 8058); the signed link is the credential.
CSRF_EXEMPT = {"mail.unsubscribe"}


def test_state_changing_routes_reject_a_missing_csrf_token(app, world, login):
    client = app.test_client()
    login(world["users"]["officer_b"], client=client)
    app.config["WTF_CSRF_ENABLED"] = True
    post_routes = [(r, m) for r, m in app_routes(app) if m != "GET"]
    assert post_routes
    for rule, method in post_routes:
        if rule.endpoint in CSRF_EXEMPT:
            continue
        response = request(client, method, url_for_rule(rule, world), rule.endpoint)
        assert response.status_code == 400, f"{method} {rule.rule} accepted no CSRF token"


def test_autosave_accepts_the_token_in_a_header(app, world, login):
    client = app.test_client()
    login(world["users"]["officer_b"], client=client)
    app.config["WTF_CSRF_ENABLED"] = True
    token = client.get("/csrf-token").json["token"]
    url = f"/assessments/{world['assessment'].id}/answers/maturity"
    response = client.post(url, json={"value": ["4"], "version": 1}, headers={"X-CSRFToken": token})
    assert response.status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_get_requests_change_nothing(app, world, login, role):
    """No state change through GET: every GET route, as every role, leaves every table as it was."""
    from sqlalchemy import select

    def snapshot():
        db.session.expire_all()
        state = {}
        for table in db.metadata.sorted_tables:
            if table.name == "rendered_reports":
                continue  # a cache of files derived from the data (a GET may fill it), not state
            rows = db.session.execute(select(table)).all()
            state[table.name] = sorted(map(repr, rows))
        return state

    client = app.test_client()
    if role != "anonymous":
        login(world["users"][role], client=client)
    before = snapshot()
    for rule, method in app_routes(app):
        if method == "GET":
            client.get(url_for_rule(rule, world)).close()
    assert snapshot() == before  # whole rows, not counts: a changed value would show
