"""The question bank reader and its check against the corpus (ingest.questions), on the real 531/2017 and 1218/2020."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.corpus import ingest_files
from ingest.errors import QuestionBankError
from ingest.questions import attach_bank, bank_hash, load_bank, read_bank_file
from tests.paths import finlex_file

GOOD = """statute = "531/2017"

[[q]]
section = "97"
lang = "fi"
q = "17v ei käy enää koulussa, milloin eronneeksi"
answer = "viimeistään kuukauden   kuluessa siitä"
act = "1218/2020"

[[q]]
section = "44 §"
lang = "fi"
q = "mitä hoksiin pitää kirjata"
answer = "Koulutuksen järjestäjä vastaa henkilökohtaisen osaamisen kehittämissuunnitelman laatimisesta"
"""


@pytest.fixture(scope="module")
def documents():
    report = ingest_files([finlex_file("asd20170531.xml"), finlex_file("asd20201218.xml")])
    assert not report.errors
    return report.documents


def _bank(tmp_path: Path, text: str, name: str = "531-2017.toml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_entries_are_tied_to_the_chunk_holding_their_phrase(tmp_path, documents):
    report = attach_bank(load_bank(_bank(tmp_path, GOOD)), documents)
    assert [(q.chunk_id, q.section, q.act) for q in report.questions] == [
        ("fi.1218-2020.s97", "97", "1218/2020"),
        ("fi.531-2017.s44", "44", "531/2017"),
    ]
    assert report.questions[0].answer == "viimeistään kuukauden kuluessa siitä"  # whitespace normalised
    assert report.skipped == 0
    assert len(bank_hash(report.questions)) == 64


def test_a_phrase_not_in_the_section_stops_with_file_entry_and_section(tmp_path, documents):
    bad = GOOD + '\n[[q]]\nsection = "45"\nlang = "fi"\nq = "x"\nanswer = "tätä lausetta ei laissa ole"\n'
    bad += '\n[[q]]\nsection = "999"\nlang = "fi"\nq = "y"\nanswer = "mitä tahansa"\n'
    with pytest.raises(QuestionBankError) as err:
        attach_bank(load_bank(_bank(tmp_path, bad)), documents)
    path = tmp_path / "531-2017.toml"
    assert err.value.problems == [
        f"{path}:3 (531/2017 45 §, fi): answer phrase not in the section's text: 'tätä lausetta ei laissa ole'",
        f"{path}:4 (531/2017 999 §, fi): the corpus has no such section",
    ]
    assert "2 problem(s), nothing indexed" in str(err.value)


def test_an_act_that_does_not_amend_the_statute_is_refused(tmp_path, documents):
    text = GOOD.replace('statute = "531/2017"', 'statute = "1214/2020"')
    with pytest.raises(QuestionBankError) as err:
        attach_bank(load_bank(_bank(tmp_path, text, "1214-2020.toml")), documents)
    assert err.value.problems[0].endswith("1218/2020 does not amend 1214/2020")


def test_entries_of_acts_outside_the_corpus_are_left_out(tmp_path, documents):
    text = GOOD.replace('statute = "531/2017"', 'statute = "673/2017"').replace('act = "1218/2020"\n', "")
    report = attach_bank(load_bank(_bank(tmp_path, text, "673-2017.toml")), documents)
    assert report.questions == () and report.skipped == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("statute = 531\n", "'statute' must be a statute number"),
        ('statute = "531/2017"\nq = 3\n', "'q' must be an array of tables"),
        ("statute = [\n", "unreadable"),
        ('statute = "531/2017"\n[[q]]\nsection = "97"\nlang = "fi"\nq = ""\n', "missing or empty 'q'"),
        (
            'statute = "531/2017"\n[[q]]\nsection = "97"\nlang = "fi"\nq = "a"\nanswer = "b"\nfoo = 1\n',
            "unknown key 'foo'",
        ),
        (
            'statute = "531/2017"\n[[q]]\nsection = "97"\nlang = "en"\nq = "a"\nanswer = "b"\n',
            "'lang' must be fi or sv",
        ),
        (
            'statute = "531/2017"\n[[q]]\nsection = "x1"\nlang = "fi"\nq = "a"\nanswer = "b"\n',
            "is not a section number",
        ),
        (
            'statute = "531/2017"\n[[q]]\nsection = "97"\nlang = "fi"\nq = "a"\nanswer = "b"\nact = "x"\n',
            "'act' must be",
        ),
    ],
)
def test_malformed_files_name_the_file_and_entry(tmp_path, text, problem):
    path = tmp_path / "bad.toml"
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(QuestionBankError) as err:
        read_bank_file(path)
    assert str(path) in err.value.problems[0] and problem in err.value.problems[0]


def test_every_file_is_checked_before_one_error_is_raised(tmp_path):
    (tmp_path / "a.toml").write_text("statute = 1\n", encoding="utf-8")
    (tmp_path / "b.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(QuestionBankError) as err:
        load_bank(tmp_path)
    assert [p.split(":")[0] for p in err.value.problems] == [str(tmp_path / "a.toml"), str(tmp_path / "b.toml")]


def test_a_missing_folder_is_an_empty_bank(tmp_path):
    assert load_bank(tmp_path / "nope") == []
