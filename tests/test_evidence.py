"""Evidence files (issue 25, part 2): attached by the region's officers, kind checked by the
content, room per file and per response, downloads only, only to those who see the response."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from surveyapp.assessments.models import AssessmentState
from surveyapp.audit.models import AuditEvent
from surveyapp.evidence import storage
from surveyapp.evidence.models import EvidenceContent, EvidenceFile
from surveyapp.evidence.operations import NAME_MAX_LENGTH, clean_name
from surveyapp.extensions import db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
EXE = b"MZ\x90\x00\x03" + b"\x00" * 200


DOCX_TYPES = (
    '<Types><Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def docx(types: str = DOCX_TYPES, *more: tuple[str, bytes]) -> bytes:
    """A minimal Word document; the same bytes every time (entries dated, not stamped with the
    clock: the parameters below are built as each test process collects, and pytest-xdist
    refuses processes that collect different tests)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        parts = [("[Content_Types].xml", types), ("word/document.xml", "<w:document/>"), *more]
        for name, data in parts:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


@pytest.fixture
def response(create_region, create_user, create_assessment, create_round):
    region, other = create_region("ES21", "País Vasco"), create_region("ES22", "Navarra")
    round_ = create_round()
    return {
        "assessment": create_assessment(region=region, round_=round_),
        "officer": create_user(email="olga@example.org", name="Olga", regions=[region]),
        "stranger": create_user(email="otto@example.org", name="Otto", regions=[other]),
    }


def attach(client, assessment, name, data, item_id=""):
    builder = EnvironBuilder(
        path=f"/assessments/{assessment.id}/evidence",
        method="POST",
        data={"file": (io.BytesIO(data), name), "item_id": item_id},
    )
    environ = builder.get_environ()  # a large body is encoded into a temporary file...
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()  # ...which the test client leaves open
        builder.close()


def test_an_officer_attaches_a_pdf_and_anyone_who_sees_the_response_downloads_it(
    app, client, login, response
):
    assessment = response["assessment"]
    login(response["officer"])
    sent = attach(client, assessment, "Informe País Vasco.pdf", PDF, "maturity")
    assert sent.status_code == 302, sent.get_data(as_text=True)
    page = client.get(f"/assessments/{assessment.id}/evidence").get_data(as_text=True)
    assert "Informe País Vasco.pdf" in page
    file = db.session.scalar(select(EvidenceFile))
    assert (file.content_type, file.size, file.item_id) == ("application/pdf", len(PDF), "maturity")
    got = client.get(f"/assessments/{assessment.id}/evidence/{file.id}")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert "Informe" in got.headers["Content-Disposition"]
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence.attached"))
    assert event.assessment_id == assessment.id and event.new_value["size"] == len(PDF)
    history = client.get(f"/assessments/{assessment.id}/history").get_data(as_text=True)
    assert "Attached the evidence file Informe País Vasco.pdf" in history


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("report.pdf", HTML, "whatever its name says"),
        ("report.pdf", EXE, "whatever its name says"),
        ("report.pdf", PNG, "its content is a “.png” file"),
        ("photo.png", docx(), "its content is a “.docx” file"),
        ("report", PDF, "has no extension, but its content is a “.pdf” file"),
        ("macro.docx", docx(DOCX_TYPES, ("word/vbaProject.bin", b"VBA")), "holds macros"),
        ("macro.docx", docx(DOCX_TYPES.replace(".main+xml", ".macroEnabled.main+xml")), "macros"),
        ("plain.docx", docx("<Types/>"), "not a complete document"),
        ("empty.pdf", b"", "This file is empty"),
    ],
    ids=[
        "html",
        "exe",
        "png",
        "docx-as-png",
        "no-extension",
        "vba",
        "macro-enabled",
        "no-main-part",
        "empty",
    ],
)
def test_a_file_whose_content_is_not_what_is_accepted_or_named_is_refused(
    app, client, login, response, name, data, said
):
    login(response["officer"])
    refused = attach(client, response["assessment"], name, data)
    assert refused.status_code == 422
    assert said in refused.get_data(as_text=True)
    assert db.session.scalar(select(EvidenceFile)) is None
    assert db.session.scalar(select(EvidenceContent)) is None


def test_office_documents_and_images_are_accepted(app, client, login, response):
    login(response["officer"])
    for name, data in (("plan.docx", docx()), ("map.PNG", PNG), ("scan.pdf", PDF)):
        assert attach(client, response["assessment"], name, data).status_code == 302, name
    kinds = set(db.session.scalars(select(EvidenceFile.content_type)))
    assert kinds == {
        "application/pdf",
        "image/png",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }


def test_an_officer_of_another_region_finds_nothing(app, client, login, response):
    assessment = response["assessment"]
    login(response["officer"])
    attach(client, assessment, "scan.pdf", PDF)
    file = db.session.scalar(select(EvidenceFile))
    client.post("/logout")
    login(response["stranger"])
    for url in (
        f"/assessments/{assessment.id}/evidence",
        f"/assessments/{assessment.id}/evidence/{file.id}",
        f"/assessments/{assessment.id}/evidence.zip",
    ):
        assert client.get(url).status_code == 404, url
    assert attach(client, assessment, "mine.pdf", PDF).status_code == 404
    removed = client.post(f"/assessments/{assessment.id}/evidence/{file.id}/remove")
    assert removed.status_code == 404
    assert db.session.scalar(select(EvidenceFile.id)) == file.id


def test_room_errors_say_what_is_left(app, client, login, response):
    app.config.update(EVIDENCE_MAX_FILE_BYTES=3000, EVIDENCE_MAX_RESPONSE_BYTES=4000)
    login(response["officer"])
    big = PDF + b"%" * (2500 - len(PDF))
    assert attach(client, response["assessment"], "one.pdf", big).status_code == 302
    refused = attach(client, response["assessment"], "two.pdf", big)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "This file is 2.5 kB but only 1.5 kB is left of the 4 kB a response may hold" in text
    too_big = attach(client, response["assessment"], "three.pdf", PDF + b"%" * 3000)
    assert "a file may be at most 3 kB" in too_big.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(EvidenceFile.id))) == 1


def test_a_file_larger_than_a_form_may_be_is_taken_by_the_upload_alone(
    app, client, login, response
):
    """Requests are limited to 2 MB (MAX_CONTENT_LENGTH); an upload may be as large as
    EVIDENCE_MAX_FILE_BYTES, and a larger one is refused before it is read."""
    assert app.config["MAX_CONTENT_LENGTH"] < 3 * 10**6 < app.config["EVIDENCE_MAX_FILE_BYTES"]
    login(response["officer"])
    large = PDF + b"%" * (3 * 10**6)
    assert attach(client, response["assessment"], "large.pdf", large).status_code == 302
    app.config["EVIDENCE_MAX_FILE_BYTES"] = 10**6
    assert attach(client, response["assessment"], "large2.pdf", large).status_code == 413
    # other requests keep the app's limit
    posted = client.post("/language", data={"language": "x" * (3 * 10**6)})
    assert posted.status_code == 413


def test_files_are_attached_only_while_the_region_may_change_the_response(
    app, client, login, response
):
    assessment = response["assessment"]
    login(response["officer"])
    attach(client, assessment, "scan.pdf", PDF)
    file = db.session.scalar(select(EvidenceFile))
    assessment.state = AssessmentState.submitted
    db.session.commit()
    assert attach(client, assessment, "late.pdf", PDF).status_code == 403
    assert client.post(f"/assessments/{assessment.id}/evidence/{file.id}/remove").status_code == 403
    page = client.get(f"/assessments/{assessment.id}/evidence").get_data(as_text=True)
    assert "scan.pdf" in page and "Attach a file" not in page


def test_removing_a_file_is_audited(app, client, login, response):
    assessment = response["assessment"]
    login(response["officer"])
    attach(client, assessment, "scan.pdf", PDF)
    file = db.session.scalar(select(EvidenceFile))
    assert client.post(f"/assessments/{assessment.id}/evidence/{file.id}/remove").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(EvidenceFile)) is None
    assert db.session.scalar(select(EvidenceContent)) is None
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "evidence.removed" in actions


def test_the_experts_zip_holds_every_file_by_question(app, client, login, response):
    assessment = response["assessment"]
    login(response["officer"])
    attach(client, assessment, "scan.pdf", PDF, "maturity")
    attach(client, assessment, "SCAN.pdf", PDF, "maturity")  # one file once unpacked
    attach(client, assessment, "map.png", PNG)
    got = client.get(f"/assessments/{assessment.id}/evidence.zip")
    assert got.headers["Content-Disposition"].startswith("attachment;")
    data = got.data
    got.close()  # sent from a temporary file, closed with the response
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        assert sorted(n.casefold() for n in names) == [
            "maturity/scan (2).pdf",
            "maturity/scan.pdf",
            "response/map.png",
        ]
        assert archive.read("response/map.png") == PNG


def test_a_storage_folder_keeps_each_content_once_and_the_purge_only_orphans(
    app, client, login, response, tmp_path
):
    app.config["EVIDENCE_FOLDER"] = str(tmp_path)
    assessment = response["assessment"]
    login(response["officer"])
    attach(client, assessment, "a.pdf", PDF)
    attach(client, assessment, "b.pdf", PDF)
    assert db.session.scalar(select(EvidenceContent)) is None
    stored = list(tmp_path.glob("??/*"))
    assert len(stored) == 1 and stored[0].read_bytes() == PDF
    first, second = db.session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)).all()
    assert client.get(f"/assessments/{assessment.id}/evidence/{second.id}").data == PDF
    orphan = tmp_path / "ab" / ("ab" + "0" * 62)
    orphan.parent.mkdir()
    orphan.write_bytes(b"left by a rolled-back upload")
    with app.test_request_context():
        later = time.time() + 2 * storage.PURGE_AFTER_SECONDS
        os.utime(orphan, (later - 3 * storage.PURGE_AFTER_SECONDS,) * 2)
        assert storage.purge_unreferenced(now=later) == 1  # the orphan, never a file in use
    assert stored[0].exists() and not orphan.exists()
    client.post(f"/assessments/{assessment.id}/evidence/{first.id}/remove")
    client.post(f"/assessments/{assessment.id}/evidence/{second.id}/remove")
    with app.test_request_context():
        assert storage.purge_unreferenced() == 0  # too recent: its upload may not be committed
        assert storage.purge_unreferenced(now=time.time() + 2 * storage.PURGE_AFTER_SECONDS) == 1
    assert not stored[0].exists()


@given(st.text(max_size=400))
def test_a_kept_name_is_one_short_line_without_folders(name):
    kept = clean_name(name)
    assert len(kept) <= NAME_MAX_LENGTH
    assert not any(c in kept for c in "/\\\n\r\t\x00")
    assert kept == kept.strip()


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_the_response_pdf_lists_files_by_name_and_size_without_embedding_them(
    app, client, login, response, tmp_path
):
    assessment = response["assessment"]
    login(response["officer"])
    attach(client, assessment, "Informe País Vasco.pdf", PDF, "maturity")
    attach(client, assessment, "map.png", PNG)
    pdf = client.get(f"/assessments/{assessment.id}/response.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    path = tmp_path / "response.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(  # noqa: S603 - pdftotext on our own file
        [shutil.which("pdftotext"), str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    assert f"Evidence files: Informe País Vasco.pdf ({len(PDF)} byte)" in flat, flat[:2000]
    assert f"map.png ({len(PNG)} byte)" in flat
    assert PNG not in pdf.data  # listed, not embedded


def test_only_someone_signed_in_may_send_a_body_larger_than_a_form(app, client, response):
    """The CSRF check reads the body before the view's checks: signed out, the app's 2 MB."""
    app.config["WTF_CSRF_ENABLED"] = True
    large = PDF + b"%" * (3 * 10**6)
    assert attach(client, response["assessment"], "large.pdf", large).status_code == 413
    small = attach(client, response["assessment"], "small.pdf", PDF)
    assert small.status_code == 400  # read, and refused for its missing CSRF token


def test_bytes_attached_again_are_young_again_and_a_lost_file_is_a_404(
    app, client, login, response, tmp_path
):
    """Re-attaching content whose bytes are old (removed a while ago) refreshes them, so the
    purge cannot take them before the upload commits; bytes that went missing give a 404 and
    a note in the zip, never a 500."""
    app.config["EVIDENCE_FOLDER"] = str(tmp_path)
    assessment = response["assessment"]
    login(response["officer"])
    attach(client, assessment, "a.pdf", PDF)
    [stored] = tmp_path.glob("??/*")
    old = time.time() - 3 * storage.PURGE_AFTER_SECONDS
    os.utime(stored, (old, old))
    attach(client, assessment, "b.pdf", PDF)
    assert stored.stat().st_mtime > time.time() - 60
    stored.unlink()
    file = db.session.scalars(select(EvidenceFile)).first()
    assert client.get(f"/assessments/{assessment.id}/evidence/{file.id}").status_code == 404
    got = client.get(f"/assessments/{assessment.id}/evidence.zip")
    data = got.data
    got.close()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert all(name.endswith("(MISSING).txt") for name in archive.namelist())


def test_a_storage_folder_that_cannot_be_written_is_an_error_at_the_field(
    app, client, login, response, tmp_path
):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    app.config["EVIDENCE_FOLDER"] = str(blocked)
    login(response["officer"])
    refused = attach(client, response["assessment"], "scan.pdf", PDF)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "could not be stored, and nothing was saved" in text
    assert "No file is attached to this response." in text  # the refused one is not listed
    assert db.session.scalar(select(EvidenceFile)) is None
