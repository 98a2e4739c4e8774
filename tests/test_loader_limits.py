"""Hostile questionnaire files: refused with file, line and reason, in bounded time and memory."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.questionnaires.definition import INTEGER_LIMITS, DefinitionError, parse_definition
from surveyapp.questionnaires.loader import MAX_DEPTH, load_file

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "fixtures" / "small-v1.yaml"

#: The "billion laughs": nine levels of ten aliases each, a few hundred bytes on disk.
ALIAS_BOMB = "format: 1\nslug: bomb\nversion: 1\ntitle: Bomb\n" + "\n".join(
    [
        'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)),
        "dimensions: *a9",
    ]
)


def small() -> dict:
    return yaml.safe_load(SMALL.read_text())


def scale_item(data: dict) -> dict:
    return data["sections"][0]["items"][0]


def errors(path) -> list[str]:
    with pytest.raises(DefinitionError) as excinfo:
        load_file(path)
    return excinfo.value.errors


def test_an_alias_bomb_is_refused_in_bounded_memory_and_time(tmp_path):
    """Today's loader grew to gigabytes on this file; with 1 GB of address space it must answer."""
    path = tmp_path / "bomb-v1.yaml"
    path.write_text(ALIAS_BOMB)
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from surveyapp.questionnaires.definition import DefinitionError
        from surveyapp.questionnaires.loader import load_file
        try:
            load_file({str(path)!r})
        except DefinitionError as exc:
            print(exc)
            sys.exit(3)
        """
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 3, result.stderr[-2000:]
    assert f"{path}:5:" in result.stdout
    assert "anchors and aliases" in result.stdout


def test_anchors_are_refused_with_their_line(tmp_path):
    path = tmp_path / "anchor-v1.yaml"
    text = SMALL.read_text().replace("title: Small test questionnaire", "title: &t Small")
    path.write_text(text)
    assert errors(path) == [
        f"{path}:4: YAML anchors and aliases (&name, *name, <<: *name) are not allowed; "
        "write the value out where it is used"
    ]


def test_deep_nesting_is_refused(tmp_path):
    path = tmp_path / "deep-v1.yaml"
    path.write_text("format: 1\ndescription: " + "[" * 900 + "]" * 900 + "\n")
    (problem,) = errors(path)
    assert problem.startswith(f"{path}:2:") and f"nested deeper than {MAX_DEPTH}" in problem


def test_a_huge_file_is_refused_before_reading(tmp_path, monkeypatch):
    import surveyapp.questionnaires.loader as loader

    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 1000)
    (problem,) = errors(SMALL)
    assert problem.startswith(f"{SMALL}: ") and "larger than" in problem


def test_a_word_as_weight_is_an_error_not_a_crash():
    data = small()
    scale_item(data)["weight"] = "lots"
    with pytest.raises(DefinitionError) as excinfo:
        parse_definition(data, source="w.yaml")
    assert excinfo.value.errors == [
        "w.yaml: item 'maturity': 'weight' must be a number greater than 0"
    ]


@pytest.mark.parametrize(("key", "where"), [("version", None), ("max_length", "text")])
@given(excess=st.integers(min_value=1, max_value=10**30))
@settings(max_examples=25, deadline=None)
def test_integers_beyond_their_range_are_refused(key, where, excess):
    data = small()
    target = data
    if where:
        target = next(i for s in data["sections"] for i in s["items"] if i["type"] == where)
    target[key] = INTEGER_LIMITS[key] + excess
    with pytest.raises(DefinitionError) as excinfo:
        parse_definition(data, source="n.yaml")
    (problem,) = excinfo.value.errors
    assert f"'{key}' must be a whole number from 1 to {INTEGER_LIMITS[key]}" in problem
    target[key] = INTEGER_LIMITS[key]
    parse_definition(data, source="n.yaml")


def test_validate_command_names_file_line_and_reason(cli, tmp_path):
    bomb = tmp_path / "bomb-v1.yaml"
    bomb.write_text(ALIAS_BOMB)
    huge = tmp_path / "huge-v1.yaml"
    huge.write_text(SMALL.read_text().replace("version: 1", "version: 99999999999999999999999"))
    lots = tmp_path / "lots-v1.yaml"
    lots.write_text(SMALL.read_text().replace("weight: 2", "weight: lots"))
    for path, line, reason in [
        (bomb, 5, "anchors and aliases"),
        (huge, 3, "'version' must be a whole number from 1 to"),
        (lots, 16, "'weight' must be a number greater than 0"),
    ]:
        result = cli.invoke(args=["questionnaires", "validate", str(path)])
        assert result.exit_code == 1, result.output
        assert f"{path}:{line}: " in result.output and reason in result.output
        assert "Traceback" not in result.output
        loaded = cli.invoke(args=["questionnaires", "load", str(path)])
        assert loaded.exit_code == 1 and reason in loaded.output
        assert loaded.exception is None or isinstance(loaded.exception, SystemExit)
