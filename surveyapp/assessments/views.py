import json
import time
from functools import lru_cache

from babel.lists import format_list
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime, format_timedelta, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from surveyapp.assessments import stash
from surveyapp.assessments.carry import (
    AnswersExist,
    NothingToCarry,
    carry_forward,
    confirm_carried,
    has_answers,
    previous_response,
)
from surveyapp.assessments.forms import (
    CarryForwardForm,
    ConfirmCarriedForm,
    QuestionnaireLanguageForm,
    SubmitForm,
    assignment_field_name,
    assignments_form,
    comment_field_name,
    extra_fields,
    parse_item_input,
    section_form,
    version_field_name,
)
from surveyapp.assessments.models import AssessmentState
from surveyapp.assessments.operations import (
    KEEP,
    AnswerFieldError,
    EvidenceNotConfirmed,
    Incomplete,
    NotEditable,
    StaleAnswer,
    get_or_start_assessment,
    missing_required,
    progress,
    save_answer,
    submit_assessment,
    submit_check,
)
from surveyapp.assessments.page import (
    assessment_header,
    item_blocks,
    states_from_answers,
    states_from_form,
)
from surveyapp.assessments.permissions import (
    can_edit,
    is_region_officer,
    load_assessment,
    load_assessment_and_answer,
    load_editable_assessment,
    load_editable_section,
    load_section_page,
    section_or_404,
)
from surveyapp.assessments.queries import answer_map, answer_values, history_entries
from surveyapp.assessments.seam import answers_shown, note_presence, section_answers
from surveyapp.assessments.sharing import (
    SharingError,
    assign_sections,
    assignments,
    colleagues,
)
from surveyapp.audit.security_log import security_event
from surveyapp.bounds import db_int
from surveyapp.db import as_utc, autocommit, utcnow
from surveyapp.errors import keeps_expired_posts
from surveyapp.extensions import db
from surveyapp.forms import show_at_field
from surveyapp.fragments import fragment
from surveyapp.i18n import (
    QUESTIONNAIRE_LANG,
    current_lang,
    lang_attribute,
    questionnaire_language,
)
from surveyapp.questionnaires.types import AnswerError
from surveyapp.regions.models import Region
from surveyapp.reviews.queries import latest_change_request, section_remarks, threads
from surveyapp.rounds.models import Round, RoundState

bp = Blueprint("assessments", __name__, template_folder="templates")
bp.add_app_template_global(assessment_header)


def _neighbours(definition, section):
    ids = [s.id for s in definition.sections]
    index = ids.index(section.id)
    previous = definition.sections[index - 1] if index > 0 else None
    following = definition.sections[index + 1] if index + 1 < len(ids) else None
    return previous, following


@bp.post("/rounds/<int:round_id>/regions/<code>/assessment")
@login_required
def start_assessment(round_id: int, code: str):
    """Start the region's assessment for a round (officers of the region only)."""
    round_ = db.session.get(Round, round_id) or abort(404)
    region = db.session.scalar(select(Region).filter_by(code=code)) or abort(404)
    if not is_region_officer(current_user, region.id):
        abort(404)
    if round_.state != RoundState.open:
        flash(_("This round is not open for answers."), "error")
        return redirect(url_for("main.home"))
    assessment = get_or_start_assessment(region, round_)
    db.session.commit()
    return redirect(url_for(".view_assessment", assessment_id=assessment.id))


@bp.get("/assessments/<int:assessment_id>")
@login_required
def view_assessment(assessment_id: int):
    """The assessment's sections with their progress."""
    assessment = load_assessment(assessment_id)
    definition = assessment.round.questionnaire.parsed
    lang = questionnaire_language(definition)
    editable = can_edit(current_user, assessment)
    return render_template(
        "assessments/overview.html",
        assessment=assessment,
        definition=definition,
        progress={p.section_id: p for p in progress(assessment)},
        assigned=assignments(assessment),
        editable=editable,
        previous=previous_response(assessment) if editable else None,
        has_answers=has_answers(assessment),
        carry_form=CarryForwardForm(),
        last_answer=max(assessment.answers, key=lambda a: a.updated_at, default=None),
        **_review_of(assessment),
        lang=lang,
        qattr=lang_attribute(lang),
    )


@bp.post("/assessments/<int:assessment_id>/carry-forward")
@login_required
def carry_forward_answers(assessment_id: int):
    """Copy the region's previous submitted response into the assessment's blank answers."""
    assessment = load_editable_assessment(assessment_id, with_answers=True)
    form = CarryForwardForm()
    back = redirect(url_for(".view_assessment", assessment_id=assessment.id))
    if not form.validate_on_submit():
        flash(_("The request was not understood."), "error")
        return back
    try:
        result = carry_forward(assessment, current_user, fill_blanks=form.fill_blanks.data)
        db.session.commit()
    except NothingToCarry:
        db.session.rollback()
        flash(_("Your region has no earlier submitted response to start from."), "error")
        return back
    except AnswersExist:
        db.session.rollback()
        flash(
            _(
                "This assessment has answers already. Tick the box to keep them and fill only "
                "the blank ones."
            ),
            "error",
        )
        return back
    except NotEditable:
        db.session.rollback()
        flash(_("This assessment can no longer be changed."), "error")
        return back
    flash(
        ngettext(
            "%(num)d answer copied from %(round)s: check it, then confirm it or change it.",
            "%(num)d answers copied from %(round)s: check each one and confirm it or change it.",
            result.copied,
            round=result.previous.round.name,
        ),
        "success",
    )
    return back


@bp.post("/assessments/<int:assessment_id>/answers/<item_id>/confirm")
@login_required
def confirm_carried_answer(assessment_id: int, item_id: str):
    """Confirm one answer carried forward from an earlier round, unchanged."""
    assessment = load_editable_assessment(assessment_id)
    item = assessment.round.questionnaire.parsed.items_by_id.get(item_id) or abort(404)
    return _confirm(assessment, item.section_id, {"item_id": item.id})


@bp.post("/assessments/<int:assessment_id>/sections/<section_id>/confirm")
@login_required
def confirm_carried_section(assessment_id: int, section_id: str):
    """Confirm every answer of a section carried forward from an earlier round, unchanged."""
    assessment, section = load_editable_section(assessment_id, section_id)
    return _confirm(assessment, section.id, {"section_id": section.id})


def _confirm(assessment, page_section: str, which: dict):
    """Confirm carried answers (``which``: confirm_carried's item_id or section_id), then back
    to the section's page."""
    page = url_for(".edit_section", assessment_id=assessment.id, section_id=page_section)
    if not ConfirmCarriedForm().validate_on_submit():
        flash(_("The request was not understood."), "error")
        return redirect(page)
    try:
        count = confirm_carried(assessment, current_user, **which)
        db.session.commit()
    except NotEditable:
        db.session.rollback()
        flash(_("This assessment can no longer be changed."), "error")
        return redirect(url_for(".view_assessment", assessment_id=assessment.id))
    if count:
        flash(ngettext("%(num)d answer confirmed.", "%(num)d answers confirmed.", count), "success")
    else:
        flash(_("There was no carried answer to confirm."), "info")
    anchor = f"#item-{which['item_id']}" if "item_id" in which else ""
    return redirect(page + anchor)


def _render_assignments(assessment, form=None, status=200):
    definition = assessment.round.questionnaire.parsed
    lang = questionnaire_language(definition)
    current = {k: a.user_id for k, a in assignments(assessment).items()}
    people = colleagues(assessment)
    if form is None:
        form = assignments_form(definition, lang, people, current, posted=False)
    return render_template(
        "assessments/assignments.html",
        assessment=assessment,
        definition=definition,
        form=form,
        fields=[(s, form[assignment_field_name(s.id)]) for s in definition.sections],
        lang=lang,
        qattr=lang_attribute(lang),
    ), status


@bp.get("/assessments/<int:assessment_id>/assignments")
@login_required
def edit_assignments(assessment_id: int):
    """Who of the region's officers does which section."""
    assessment = load_editable_assessment(assessment_id)
    return _render_assignments(assessment)


@bp.post("/assessments/<int:assessment_id>/assignments")
@login_required
def save_assignments(assessment_id: int):
    """Share out the sections between the region's officers."""
    assessment = load_editable_assessment(assessment_id)
    definition = assessment.round.questionnaire.parsed
    current = {k: a.user_id for k, a in assignments(assessment).items()}
    form = assignments_form(
        definition, questionnaire_language(definition), colleagues(assessment), current
    )
    if form.validate_on_submit():
        chosen = {
            s.id: int(form[assignment_field_name(s.id)].data or 0) or None
            for s in definition.sections
        }
        try:
            changed = assign_sections(current_user, assessment, chosen)
        except SharingError as error:
            db.session.rollback()
            first = assignment_field_name(definition.sections[0].id)
            error.field = assignment_field_name(error.field) if error.field else first
            show_at_field(form, error, first)
        else:
            db.session.commit()
            if changed:
                message = ngettext(
                    "%(num)d section changed hands.", "%(num)d sections changed hands.", changed
                )
            else:
                message = _("Nothing changed: each section is done by whom it was before.")
            flash(message, "success")
            return redirect(url_for(".view_assessment", assessment_id=assessment.id))
    return _render_assignments(assessment, form, 422)


@bp.post("/assessments/<int:assessment_id>/language")
@login_required
def choose_questionnaire_language(assessment_id: int):
    """Show the questionnaire's texts in another language than the pages' (kept for the
    session, for every questionnaire complete in it)."""
    assessment = load_assessment(assessment_id, with_answers=False)
    form = QuestionnaireLanguageForm(assessment.round.questionnaire.parsed.languages)
    if form.validate_on_submit():
        session[QUESTIONNAIRE_LANG] = form.language.data
    else:
        flash(_("The questionnaire is not available in this language."), "error")
    back = form.next.data or ""
    if not back.startswith(f"/assessments/{assessment.id}"):
        back = url_for(".view_assessment", assessment_id=assessment.id)
    return redirect(back)


def _review_of(assessment, section_id=None) -> dict:
    """The experts' threads and remarks, and the message of their request for changes while
    it is open; none (and no query) before a first submission."""
    if assessment.submitted_at is None:
        return {"review_threads": {}, "remarks": {}, "remark": None, "change_request": None}
    remarks = section_remarks(assessment)
    return {
        "review_threads": threads(assessment),
        "remarks": remarks,
        "remark": remarks.get(section_id),
        "change_request": latest_change_request(assessment)
        if assessment.state == AssessmentState.changes_requested
        else None,
    }


@lru_cache(maxsize=64)
def _autosave_messages(lang: str) -> str:
    """The autosave script's messages in ``lang`` as JSON (the same on every section page)."""
    return json.dumps(
        {
            "saving": _("Saving…"),
            "saved": _("Saved %(time)s", time="%(time)s"),
            "retrying": _("Not saved: retrying"),
            "invalid": _("Not saved: check the answer marked below"),
            "signedout": _(
                "Not saved: your session has ended. Sign in again in another tab; your answers "
                "are kept in this browser and will be saved."
            ),
            "locked": _("Not saved: this assessment can no longer be changed."),
            "conflict": _(
                "Not saved: someone else changed an answer. Choose which version to keep."
            ),
            "conflict_by": _(
                "%(name)s changed this answer on %(when)s, after you opened the page.",
                name="%(name)s",
                when="%(when)s",
            ),
            "conflict_theirs": _("Their answer: %(value)s", value="%(value)s"),
            "conflict_their_comment": _("Their comment: %(text)s", text="%(text)s"),
            "conflict_their_reason": _(
                "Their reason for “not applicable”: %(text)s", text="%(text)s"
            ),
            "conflict_their_evidence": _("Their evidence: %(text)s", text="%(text)s"),
            "conflict_merge": _(
                "Keeping your answer keeps what you changed on this page and takes the rest "
                "from theirs."
            ),
            "keep_mine": _("Keep my answer"),
            "use_theirs": _("Use their answer"),
            "taken": _("Their answer is now in the form."),
            "no_answer": _("(no answer)"),
            "unsaved": _("Some answers are not saved yet."),
        }
    )


def _section_links(definition, content_hash, assessment, section, lang) -> dict:
    """The list of sections and the previous/next links, kept once rendered (fragments), and
    the next section (for the buttons)."""
    previous, following = _neighbours(definition, section)
    # One URL built, the others derived from it.
    url = url_for(".edit_section", assessment_id=assessment.id, section_id="__SECTION__")
    context = {
        "definition": definition,
        "section": section,
        "previous": previous,
        "following": following,
        "section_url": lambda section_id: url.replace("__SECTION__", section_id),
        "lang": lang,
        "qattr": lang_attribute(lang),
    }
    key = (content_hash, lang, assessment.id, section.id)
    return {
        "section_nav": fragment("assessments/_section_nav.html", key, **context),
        "pager": fragment("assessments/_pager.html", key, **context),
        "following": following,
    }


def _render_section(
    assessment,
    section,
    form=None,
    answers=None,
    conflicts=None,
    restored=False,
    status=200,
    people=None,
    unsaved=None,
):
    """The section page; ``form``: the posted form to show again (else the stored answers)."""
    definition = assessment.round.questionnaire.parsed
    answers = section_answers(assessment, section) if answers is None else answers
    editable = can_edit(current_user, assessment)
    lang = questionnaire_language(definition)
    if form is None:
        states = states_from_answers(section, answers)
    else:
        states = states_from_form(section, form)
    content_hash = assessment.round.questionnaire.cache_key
    blocks = item_blocks(
        definition,
        content_hash,
        section,
        lang,
        states,
        answers,
        conflicts or {},
        editable,
        url_for(".assessment_history", assessment_id=assessment.id) + "?item=",
        url_for(".confirm_carried_answer", assessment_id=assessment.id, item_id="__ITEM__"),
    )
    return render_template(
        "assessments/section.html",
        unconfirmed=sum(
            bool(answer.carried_from and not answer.carry_confirmed) for answer in answers.values()
        ),
        assessment=assessment,
        definition=definition,
        section=section,
        blocks=blocks,
        **_section_links(definition, content_hash, assessment, section, lang),
        restored=restored,
        editable=editable,
        **_review_of(assessment, section.id),
        lang=lang,
        qattr=lang_attribute(lang),
        autosave_messages=_autosave_messages(current_lang()),
        people=people or {},
        unsaved=unsaved or [],
    ), status


@bp.get("/assessments/<int:assessment_id>/sections/<section_id>")
@login_required
@autocommit  # reads; the stash it may take back commits at once
def edit_section(assessment_id: int, section_id: str):
    """One section of the questionnaire: a form for the region's officers, read-only otherwise."""
    page = load_section_page(assessment_id, section_id)
    assessment = page.assessment
    section = section_or_404(assessment, section_id)
    stashed = stash.pop_for(request.path) if can_edit(current_user, assessment) else None
    if stashed is not None:
        return render_restored_section(assessment_id, section_id, MultiDict(stashed))
    return _render_section(
        assessment,
        section,
        answers=answers_shown(section, page.answers),
        people=_people(page.assignee, page.present),
    )


def _present_sentence(present) -> str:
    """Who else saved in the section lately, as one sentence ("" when nobody)."""
    if not present:
        return ""
    now = utcnow()
    people = [
        _(
            "%(name)s (saved %(when)s)",
            name=c.name,
            when=format_timedelta(c.seen_at - now, add_direction=True),
        )
        for c in present
    ]
    return _(
        "Also at work on this section: %(people)s.",
        people=format_list(people, locale=current_lang()),
    )


def _people(assignee, present) -> dict:
    """Who the section is assigned to, and who else is at work on it now, as the page says."""
    if assignee is None:
        assigned = ""
    elif assignee[0] == current_user.id:
        assigned = _("This section is assigned to you.")
    else:
        assigned = _("This section is assigned to %(name)s.", name=assignee[1])
    return {"assigned": assigned, "present": _present_sentence(present)}


@keeps_expired_posts("assessments.save_section")
def render_restored_section(assessment_id: int, section_id: str, formdata: MultiDict, status=200):
    """The section with answers that were sent but not saved, back in the form to save."""
    assessment, section = load_editable_section(assessment_id, section_id)
    content_hash = assessment.round.questionnaire.cache_key
    # The form renders a fresh CSRF token, so the restored answers can be saved.
    form = section_form(content_hash, section, current_lang(), formdata=formdata)
    return _render_section(assessment, section, form, restored=True, status=status)


@bp.post("/assessments/<int:assessment_id>/sections/<section_id>")
@login_required
def save_section(assessment_id: int, section_id: str):
    """Save a section without JavaScript; valid answers are kept even when others are not."""
    assessment = load_assessment(assessment_id, with_answers=False)
    section = section_or_404(assessment, section_id)
    if not can_edit(current_user, assessment):
        if not is_region_officer(current_user, assessment.region_id):
            abort(403)
        # A page opened before the submit (or the round's close): nothing is saved, and what
        # was sent is shown, so that nothing typed is lost.
        unsaved = _answers_sent(assessment, section)
        return _render_section(assessment, section, unsaved=unsaved, status=409)
    form = section_form(assessment.round.questionnaire.cache_key, section, current_lang())
    form.validate()
    conflicts = {}
    for item in section.items:
        field = form[item.id]
        comment_field = form[comment_field_name(item.id)]
        reason_field, evidence_field = extra_fields(form, item)
        if version_field_name(item.id) not in request.form:
            continue  # the item was not on the page that posted
        if field.errors or comment_field.errors or _extra_errors(reason_field, evidence_field):
            continue
        version = form[version_field_name(item.id)].data
        try:
            answer = save_answer(
                assessment,
                item.id,
                item.question_type.from_form(item, field.data),
                current_user,
                expected_version=version or 0,
                comment=comment_field.data,
                keep_comment=False,
                na_reason=_posted(reason_field),
                evidence=_posted(evidence_field),
            )
        except StaleAnswer as exc:
            conflicts[item.id] = exc.current
            # Saving again means "keep mine": it is now based on the newer version.
            form[version_field_name(item.id)].data = exc.current.version if exc.current else 0
            continue
        except AnswerFieldError as exc:
            extra = reason_field if exc.field == "na_reason" else evidence_field
            extra.errors = [*extra.errors, str(exc)]
            continue
        except AnswerError as exc:
            field.errors = [*field.errors, str(exc)]
            continue
        except NotEditable:  # submitted, or the round closed, since the page was checked
            db.session.rollback()  # nothing of this post is saved: what was sent is shown
            unsaved = _answers_sent(assessment, section)
            return _render_section(assessment, section, unsaved=unsaved, status=409)
        form[version_field_name(item.id)].data = answer.version if answer else 0
    db.session.commit()
    has_errors = any(
        form[item.id].errors
        or form[comment_field_name(item.id)].errors
        or _extra_errors(*extra_fields(form, item))
        for item in section.items
    )
    if has_errors or conflicts:
        if has_errors:
            flash(_("Some answers could not be saved: see the messages below."), "error")
        return _render_section(assessment, section, form, conflicts=conflicts, status=422)
    flash(_("Section saved."), "success")
    _previous, following = _neighbours(assessment.round.questionnaire.parsed, section)
    if request.form.get("then") == "next" and following is not None:
        return redirect(
            url_for(".edit_section", assessment_id=assessment.id, section_id=following.id)
        )
    if request.form.get("then") == "next":
        return redirect(url_for(".review_submission", assessment_id=assessment.id))
    return redirect(url_for(".edit_section", assessment_id=assessment.id, section_id=section.id))


def _answers_sent(assessment, section) -> list[tuple]:
    """The answers a section's form sent, as a reader sees them: (item, answer, notes) for
    each item with something typed or chosen; notes: its comment, reason and evidence, each
    after its label."""
    lang = current_lang()
    form = section_form(assessment.round.questionnaire.cache_key, section, lang)
    form.validate()
    labels = (
        (comment_field_name, _("Comment:")),
        (lambda item_id: f"{item_id}__na_reason", _("Why it does not apply:")),
        (lambda item_id: f"{item_id}__evidence", _("Evidence:")),
    )
    sent = []
    for item in section.items:
        notes = []
        for name_of, label in labels:
            name = name_of(item.id)
            text = (form[name].data or "").strip() if name in form else ""
            if text:
                notes.append(f"{label} {text}")
        raw = [value for value in form[item.id].raw_data or () if value.strip()]
        shown = "\n".join(raw)
        if raw and not form[item.id].errors:
            value = item.question_type.from_form(item, form[item.id].data)
            shown = item.question_type.display(item, value, lang) or shown
        if shown or notes:
            sent.append((item, shown, notes))
    return sent


def _extra_errors(*fields) -> bool:
    return any(field is not None and field.errors for field in fields)


def _posted(field):
    """What a reason or evidence field posted; KEEP when the page had no such input."""
    if field is None or field.raw_data is None or not field.raw_data:
        return KEEP
    return field.data


def _answer_snapshot(answer) -> dict | None:
    """What the autosave reply tells of an answer, read while the objects are loaded."""
    if answer is None:
        return None
    return {
        "value": answer.value,
        "comment": answer.comment,
        "na_reason": answer.na_reason,
        "evidence": answer.evidence,
        "version": answer.version,
        "updated_at": answer.updated_at,
        "updated_by": answer.updated_by.name if answer.updated_by else None,
        "carried": answer.carried_from_id is not None,
    }


def _answer_json(item, answer: dict | None) -> dict:
    """The autosave reply's account of an answer (``answer``: from _answer_snapshot)."""
    if answer is None:
        return {
            "form_values": [],
            "updated_by_text": "",
            "value": None,
            "display": "",
            "comment": None,
            "na_reason": None,
            "evidence": None,
            "version": 0,
            "updated_by": None,
            "updated_at": None,
            "updated_at_text": "",
            "carried": False,
        }
    form_value = item.question_type.to_form(item, answer["value"])
    if isinstance(form_value, list):
        form_values = [str(value) for value in form_value]
    else:
        form_values = [] if form_value in (None, "") else [str(form_value)]
    changed_by = answer["updated_by"]
    # Times as the pages write them (the application's time zone), not the browser's clock.
    when = format_datetime(answer["updated_at"], "short")
    return {
        "form_values": form_values,
        "updated_by_text": _("Last changed by %(name)s, %(when)s.", name=changed_by, when=when)
        if changed_by
        else "",
        "updated_at_text": when,
        "value": answer["value"],
        "display": item.question_type.display(item, answer["value"], current_lang()),
        "comment": answer["comment"],
        "na_reason": answer["na_reason"],
        "evidence": answer["evidence"],
        "version": answer["version"],
        "updated_by": changed_by,
        # With its offset whether the answer was read back (SQLite: naive UTC) or just written.
        "updated_at": as_utc(answer["updated_at"]).isoformat(),
        "carried": answer["carried"],
    }


@bp.post("/assessments/<int:assessment_id>/answers/<item_id>")
@login_required
@autocommit  # reads, then one statement (or leave_autocommit): operations.save_answer
def autosave_answer(assessment_id: int, item_id: str):
    """Save one answer (JSON in and out); 409 with both values when it changed meanwhile."""
    assessment, stored = load_assessment_and_answer(assessment_id, item_id)
    if not can_edit(current_user, assessment):
        return jsonify(error=_("This assessment can no longer be changed.")), 403
    definition = assessment.round.questionnaire.parsed
    item = definition.items_by_id.get(item_id) or abort(404)
    try:
        payload = request.get_json(force=True)
    except BadRequest as exc:  # not JSON, or nested too deeply (surveyapp.text)
        return jsonify(error=exc.description), 400
    if not isinstance(payload, dict):
        return jsonify(error=_("The request was not understood.")), 400
    raw, comment, version = payload.get("value", []), payload.get("comment"), payload.get("version")
    na_reason, evidence = payload.get("na_reason"), payload.get("evidence")
    if isinstance(raw, str):
        raw = [raw]
    if (
        not isinstance(raw, list)
        or not all(isinstance(v, str) for v in raw)
        or not all(text is None or isinstance(text, str) for text in (comment, na_reason, evidence))
        or not isinstance(version, int)
        or isinstance(version, bool)
    ):
        return jsonify(error=_("The request was not understood.")), 400
    try:
        given = parse_item_input(
            assessment.round.questionnaire.cache_key,
            item,
            raw,
            comment,
            current_lang(),
            na_reason=na_reason,
            evidence=evidence,
        )
        answer = save_answer(
            assessment,
            item.id,
            given.value,
            current_user,
            expected_version=version,
            comment=given.comment,
            keep_comment="comment" not in payload,
            stored=stored,
            # Absent from the request (or the item has no such input): kept as stored.
            na_reason=KEEP if given.na_reason is None else given.na_reason,
            evidence=KEEP if given.evidence is None else given.evidence,
        )
    except StaleAnswer as exc:
        current = _answer_snapshot(exc.current)
        db.session.rollback()
        return jsonify(error="conflict", current=_answer_json(item, current)), 409
    except AnswerFieldError as exc:
        db.session.rollback()
        return jsonify(error=str(exc), field=item.id + "__" + exc.field), 422
    except AnswerError as exc:
        db.session.rollback()
        return jsonify(error=str(exc)), 422
    except NotEditable:  # submitted, or the round closed, since can_edit above
        db.session.rollback()
        return jsonify(error=_("This assessment can no longer be changed.")), 403
    # Read before the commit, which expires the objects (reading them after would re-query);
    # the reply is written after it, so that other writers wait for the lock no longer.
    saved = _answer_snapshot(answer)
    present = _presence_due(assessment.id, item.section_id)
    if present:
        present = _present_sentence(note_presence(assessment.id, item.section_id, current_user.id))
    db.session.commit()
    reply = {"present": present} if present is not None else {}
    return jsonify(saved=True, **reply, **_answer_json(item, saved))


#: The session's note of where and when this officer's presence was last written.
PRESENCE_NOTED = "presence_noted"
#: Presence is written (and the others read) at most this often per section while typing:
#: autosaves come every few seconds, the presence window is minutes.
PRESENCE_REFRESH_SECONDS = 30


def _presence_due(assessment_id: int, section_id: str) -> bool | None:
    """True when this save should mark the officer present in the section (and tell who else
    is), None when it was done less than PRESENCE_REFRESH_SECONDS ago in the same section."""
    now = int(time.time())
    noted = session.get(PRESENCE_NOTED)
    here = [assessment_id, section_id]
    recent = isinstance(noted, list) and len(noted) == 3 and isinstance(noted[2], int)
    if recent and noted[:2] == here and now - noted[2] < PRESENCE_REFRESH_SECONDS:
        return None
    session[PRESENCE_NOTED] = [*here, now]
    return True


@bp.get("/assessments/<int:assessment_id>/submit")
@login_required
def review_submission(assessment_id: int):
    """What is missing before the region can submit, and the submit button."""
    return _review_page(load_assessment(assessment_id))


def _review_page(assessment, form: SubmitForm | None = None, status: int = 200):
    """The review-and-submit page; ``form``: a submit refused, its choices shown again."""
    check = submit_check(assessment)
    return render_template(
        "assessments/review.html",
        assessment=assessment,
        definition=assessment.round.questionnaire.parsed,
        missing=missing_required(assessment, check),
        without_reason={item.id for item in check.without_reason},
        refused={item.id: reason for item, reason in check.refused},
        without_evidence=check.without_evidence,
        unconfirmed=check.unconfirmed,
        editable=can_edit(current_user, assessment),
        lang=current_lang(),
        consent_named=form.consent_named.data if form else assessment.consent_named,
        evidence_error=_(
            "Some answers have no evidence. Add it, or confirm that you submit them "
            "without evidence."
        )
        if form
        else None,
    ), status


@bp.post("/assessments/<int:assessment_id>/submit")
@login_required
def submit(assessment_id: int):
    """Submit the assessment for expert review (a second click changes nothing)."""
    assessment = load_assessment(assessment_id)
    if not is_region_officer(current_user, assessment.region_id):
        abort(403)
    form = SubmitForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = submit_assessment(
            assessment,
            current_user,
            consent_named=form.consent_named.data,
            without_evidence_confirmed=form.without_evidence.data,
        )
        db.session.commit()
    except Incomplete:
        db.session.rollback()
        flash(_("Some required answers are missing."), "error")
        return redirect(url_for(".review_submission", assessment_id=assessment.id))
    except EvidenceNotConfirmed:
        db.session.rollback()
        # At the box to tick, with the consent as it was chosen: nothing chosen is lost.
        return _review_page(load_assessment(assessment_id), form, 422)
    except NotEditable:
        db.session.rollback()
        flash(_("This assessment can no longer be submitted."), "error")
        return redirect(url_for(".view_assessment", assessment_id=assessment.id))
    except StaleDataError:
        # Another request submitted it at the same moment: one submission, as wanted.
        db.session.rollback()
        changed = False
    if changed:
        security_event("assessment_submitted", assessment_id=assessment.id)
        flash(
            _("Submitted. The working-group experts have been told it is ready for review."),
            "success",
        )
    else:
        flash(_("This assessment was already submitted."), "info")
    return redirect(url_for(".view_assessment", assessment_id=assessment.id))


@bp.get("/assessments/<int:assessment_id>/history")
@login_required
def assessment_history(assessment_id: int):
    """Every change to the assessment, or to one item with ?item=ID."""
    assessment = load_assessment(assessment_id)
    definition = assessment.round.questionnaire.parsed
    item_id = request.args.get("item")
    item = definition.items_by_id.get(item_id) if item_id else None
    if item_id and item is None:
        abort(404)
    page = request.args.get("page", 1, type=db_int)
    if page < 1:
        abort(404)
    lang = current_lang()
    entries, has_older = history_entries(assessment, current_user, lang, item_id, page)
    return render_template(
        "assessments/history.html",
        assessment=assessment,
        definition=definition,
        item=item,
        entries=entries,
        page=page,
        has_older=has_older,
        lang=lang,
    )


@bp.get("/assessments/<int:assessment_id>/print")
@login_required
def print_assessment(assessment_id: int):
    """The whole response on one page, laid out for printing."""
    assessment = load_assessment(assessment_id)
    definition = assessment.round.questionnaire.parsed
    values = answer_values(assessment)
    return render_template(
        "assessments/print.html",
        assessment=assessment,
        definition=definition,
        answers=answer_map(assessment),
        visible={item.id for item in definition.items if item.is_visible(values)},
        lang=current_lang(),
    )


@bp.get("/csrf-token")
@login_required
def csrf_token():
    """A fresh CSRF token for the autosave script after the session changed."""
    return jsonify(token=generate_csrf())
