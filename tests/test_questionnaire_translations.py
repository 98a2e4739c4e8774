"""Questionnaire translations: catalogues beside the file, stored beside the definition."""

import shutil
from pathlib import Path

import yaml
from babel.messages.pofile import read_po, write_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from surveyapp.audit.models import AuditEvent
from surveyapp.auth.models import Role
from surveyapp.extensions import db
from surveyapp.questionnaires.loader import shipped_files
from surveyapp.questionnaires.models import Questionnaire, parse_translated
from surveyapp.questionnaires.operations import load_questionnaire
from surveyapp.questionnaires.translations import (
    catalogue_folder,
    complete_languages,
    coverage,
    english,
    read_translations,
    template,
    text_places,
    update_catalogues,
)


def _data(path):
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def _translate(folder: Path, lang: str, data: dict, skip=(), text=lambda s: f"[{s}]"):
    """A catalogue for ``lang`` translating every text but the contexts in ``skip``."""
    update_catalogues(data, folder)
    with (folder / "messages.pot").open("rb") as handle:
        catalogue = read_po(handle, locale=lang)
    for message in catalogue:
        if message.id and message.context not in skip:
            message.string = text(message.id)
    with (folder / f"{lang}.po").open("wb") as handle:
        write_po(handle, catalogue)


def _copy(tmp_path, fixture_path, name="small-v2.yaml"):
    target = tmp_path / name
    shutil.copy(fixture_path(name), target)
    return target


def test_every_shipped_text_has_one_context():
    for path in shipped_files():
        contexts = [context for context, _path, _value in text_places(_data(path))]
        assert contexts and len(contexts) == len(set(contexts)), path.name


def test_contexts_name_places_by_ids(fixture_path):
    contexts = {c for c, _p, _v in text_places(_data(fixture_path("small-v2.yaml")))}
    assert "sections.basics.items.maturity.levels.3.anchor" in contexts
    assert "sections.basics.items.maturity.actions.0" in contexts
    assert "dimensions.partnerships.title" in contexts


def test_a_complete_catalogue_translates_pages_and_counts_the_language(tmp_path, fixture_path):
    path = _copy(tmp_path, fixture_path)
    data = _data(path)
    folder = catalogue_folder("small", 2, tmp_path)
    _translate(folder, "pl", data)
    translations = read_translations("small", 2, tmp_path)
    definition = parse_translated(data, translations, "small")
    assert definition.languages == ("en", "pl")  # fr only translates one title inline
    item = definition.item("maturity")
    assert (
        item.localized("text", "pl")
        == f"[{english(_data(path)['sections'][0]['items'][0]['text'])}]"
    )
    assert item.localized("text", "en").startswith("How mature")
    localized = definition.localized_items("pl")["maturity"]
    assert localized.options[3][1] == "[Fair]"
    # the inline French stays, and French now falls back to English elsewhere
    assert definition.dimensions[1].localized("title", "fr") == "Partenariats"


def test_changed_english_makes_the_translation_outdated_not_shown(tmp_path, fixture_path):
    path = _copy(tmp_path, fixture_path)
    data = _data(path)
    folder = catalogue_folder("small", 2, tmp_path)
    _translate(folder, "de", data)
    data["sections"][0]["items"][0]["text"] = "How far has the strategy come?"
    translations = read_translations("small", 2, tmp_path)
    report = coverage(data, translations)["de"]
    assert report.outdated == ["sections.basics.items.maturity.text"] and not report.missing
    definition = parse_translated(data, translations, "small")
    assert definition.languages == ("en",)
    assert definition.item("maturity").localized("text", "de") == "How far has the strategy come?"
    # extract-messages keeps the old translation for the translator, marked fuzzy
    update_catalogues(data, folder)
    with (folder / "de.po").open("rb") as handle:
        entry = next(m for m in read_po(handle) if m.context == report.outdated[0])
    assert entry.fuzzy and entry.string.startswith("[How mature")
    assert coverage(data, read_translations("small", 2, tmp_path))["de"].outdated == report.outdated


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_coverage_counts_every_text_once(tmp_path_factory, fixture_path, data):
    """Property: translated + missing + outdated = every text, and a language is complete
    exactly when nothing is missing or outdated."""
    questionnaire = _data(fixture_path("small-v2.yaml"))
    contexts = [c for c, _p, v in text_places(questionnaire) if isinstance(v, str)]
    skip = data.draw(st.sets(st.sampled_from(contexts)))
    changed = data.draw(st.sets(st.sampled_from(contexts)))
    entries = {
        c: ["something else" if c in changed else english(v), "x"]
        for c, _p, v in text_places(questionnaire)
        if c not in skip
    }
    report = coverage(questionnaire, {"it": entries})["it"]
    assert report.translated + len(report.missing) + len(report.outdated) == report.total
    assert set(report.missing) == skip
    assert set(report.outdated) == changed - skip
    assert ("it" in complete_languages(questionnaire, {"it": entries})) == (
        not skip and not changed
    )


def test_loading_translations_keeps_the_hash_and_is_audited(app, tmp_path, fixture_path):
    path = _copy(tmp_path, fixture_path)
    first = load_questionnaire(path)
    db.session.commit()
    digest = first.questionnaire.content_hash
    assert first.questionnaire.parsed.languages == ("en",)
    _translate(catalogue_folder("small", 2, tmp_path), "es", _data(path))
    second = load_questionnaire(path)
    db.session.commit()
    assert second.outcome == "translations updated"
    assert second.questionnaire.content_hash == digest
    assert second.questionnaire.parsed.languages == ("en", "es")
    assert load_questionnaire(path).outcome == "unchanged"
    events = db.session.scalars(
        select(AuditEvent).filter_by(action="questionnaire.translations_updated")
    ).all()
    assert [event.new_value for event in events] == ["en, es"]


def test_check_translations_lists_what_is_missing(cli, tmp_path, fixture_path):
    path = _copy(tmp_path, fixture_path)
    data = _data(path)
    skip = {"sections.basics.items.has_plan.text"}
    _translate(catalogue_folder("small", 2, tmp_path), "pl", data, skip=skip)
    result = cli.invoke(args=["questionnaires", "check-translations", str(path), "--lang", "pl"])
    assert result.exit_code == 1
    total = len(text_places(data))
    assert f"[pl]: {total - 1} of {total} texts translated, 1 missing" in result.output
    assert "missing  sections.basics.items.has_plan.text" in result.output
    _translate(catalogue_folder("small", 2, tmp_path), "pl", data)
    result = cli.invoke(args=["questionnaires", "check-translations", str(path), "--lang", "pl"])
    assert result.exit_code == 0 and f"[pl]: complete ({total} texts)" in result.output
    result = cli.invoke(args=["questionnaires", "check-translations", str(path), "--lang", "it"])
    assert result.exit_code == 1 and "0 of" in result.output


def test_extract_messages_writes_the_template(cli, tmp_path, fixture_path):
    path = _copy(tmp_path, fixture_path)
    result = cli.invoke(args=["questionnaires", "extract-messages", str(path)])
    assert result.exit_code == 0, result.output
    with (catalogue_folder("small", 2, tmp_path) / "messages.pot").open("rb") as handle:
        extracted = {(m.context, m.id) for m in read_po(handle) if m.id}
    assert extracted == {(m.context, m.id) for m in template(_data(path)) if m.id}


def test_an_officer_reads_the_questionnaire_in_another_language(
    app, client, tmp_path, fixture_path, create_region, create_user, create_round, login
):
    from surveyapp.assessments.operations import get_or_start_assessment

    path = _copy(tmp_path, fixture_path)
    _translate(catalogue_folder("small", 2, tmp_path), "pl", _data(path), text=lambda s: f"PL {s}")
    questionnaire = load_questionnaire(path).questionnaire
    region = create_region()
    assessment = get_or_start_assessment(region, create_round(questionnaire=questionnaire))
    db.session.commit()
    login(create_user(regions=[region]))
    url = f"/assessments/{assessment.id}/sections/basics"
    english_page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "PL How mature" not in english_page
    assert '<option value="pl" lang="pl">Polski</option>' in english_page
    # a French page: the questionnaire is not complete in French, so English, marked as such
    french_page = client.get(url, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<span lang="en">How mature' in french_page
    assert '<h1 lang="en">Basics</h1>' in french_page

    answer = client.post(
        f"/assessments/{assessment.id}/language", data={"language": "pl", "next": url}
    )
    assert answer.headers["Location"] == url
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<span lang="pl">PL How mature' in page
    assert '<span class="anchor" lang="pl">PL Actions without budget.</span>' in page
    assert ">Don&#39;t know<" in page  # the interface stays English
    refused = client.post(f"/assessments/{assessment.id}/language", data={"language": "it"})
    assert refused.status_code == 302
    assert "PL How mature" in client.get(url).get_data(as_text=True)


def test_a_round_lists_the_languages_its_questionnaire_is_complete_in(
    app, client, tmp_path, fixture_path, create_round, create_user, login
):
    path = _copy(tmp_path, fixture_path)
    _translate(catalogue_folder("small", 2, tmp_path), "it", _data(path))
    _translate(catalogue_folder("small", 2, tmp_path), "pl", _data(path), skip={"title"})
    round_ = create_round(questionnaire=load_questionnaire(path).questionnaire)
    login(create_user(email="admin@example.org", role=Role.admin))
    for url in ("/admin/rounds", f"/admin/rounds/{round_.id}"):
        html = client.get(url).get_data(as_text=True)
        assert '<span lang="en">English</span>, <span lang="it">Italiano</span>' in html, url
        assert 'lang="pl"' not in html, url


def test_questionnaire_v2_is_complete_in_five_languages():
    """Issue 23: French, German, Spanish, Italian and Polish at least."""
    path = next(p for p in shipped_files() if p.name == "criterion7-interregional-v2.yaml")
    data = _data(path)
    translations = read_translations("criterion7-interregional", 2, path.parent)
    assert {"fr", "de", "es", "it", "pl"} <= set(complete_languages(data, translations))
    # a translation is never the empty string, and long texts are not left in English (a few
    # names are the same in both, e.g. "Interreg C (interregional: Interreg Europe, ...)")
    for lang in ("fr", "de", "es", "it", "pl"):
        same = [
            c
            for c, (source, text) in translations[lang].items()
            if len(source) > 40 and text == source
        ]
        assert all(text.strip() for _source, text in translations[lang].values()), lang
        assert len(same) <= 3, (lang, same)


def test_a_french_page_never_lends_its_words_to_an_english_one(
    app, client, create_region, create_user, create_assessment, login
):
    """The section page's own strings follow the interface's language, whatever language the
    questionnaire's texts are in (here English for both readers)."""
    region = create_region()
    assessment = create_assessment(region=region)
    login(create_user(regions=[region]))
    url = f"/assessments/{assessment.id}/sections/basics"
    french = client.get(url, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    english = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">Historique<" in french and ">History<" in english and "Historique" not in english


def test_parsed_definitions_kept_are_bounded_and_the_recent_stay(fixture_path):
    from surveyapp.questionnaires import models

    data = _data(fixture_path("small-v2.yaml"))
    kept = models._PARSED_KEPT
    first = Questionnaire(slug="s", version=2, title="t", definition=data, content_hash="h0")
    first_parsed = first.parsed
    for n in range(1, kept + 5):
        version = Questionnaire(
            slug="s", version=2, title="t", definition=data, content_hash=f"h{n}"
        )
        assert version.parsed.sections  # parsed and kept
        # the first one, used again and again, is never the one forgotten
        assert Questionnaire(content_hash="h0", definition=data).parsed is first_parsed
    assert len(models._PARSED) <= kept
