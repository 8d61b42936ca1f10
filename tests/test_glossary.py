"""The port glossary: complete in every language, lookup by any name, query expansion, `portwise define`."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.datasets import load_question_set
from kb.errors import ConfigError
from kb.glossary import load_glossary
from kb.languages import LANGUAGES, lexical_tokens
from portwise.cli import app

CORE = (
    "TEU", "FEU", "berth", "berth occupancy", "quay crane", "STS crane", "RTG", "yard",
    "dwell time", "draught", "draft", "pilotage", "towage", "single window",
    "port community system", "ISPS Code", "port facility security officer", "dangerous goods",
    "IMDG Code", "MARPOL", "reception facilities", "dry port", "inland container depot",
    "hinterland", "corridor", "transshipment", "terminal operating system", "gate", "container",
    "reefer", "bunkering", "shore power", "digital twin", "just-in-time arrival", "customs",
    "free zone", "landlord port", "throughput", "turnaround time", "crane moves per hour",
)  # fmt: skip


def test_glossary_has_the_core_terms_in_every_language() -> None:
    glossary = load_glossary()
    assert len(glossary) >= 40
    for name in CORE:
        assert glossary.lookup(name) is not None, name
    for term in glossary.terms:
        assert set(term.names) == set(LANGUAGES), term.id
        assert all(
            term.names[lang] and all(n.strip() for n in term.names[lang]) for lang in LANGUAGES
        )
        assert term.definition


@pytest.mark.parametrize(
    ("name", "term_id"),
    [("泊位", "berth"), ("ท่าเรือบก", "dry-port"), ("Landstrom", "shore-power"), ("teu", "teu"),
     ("ຕູ້ເຢັນ", "reefer"), ("kastam", "customs"), ("cảng cạn", "dry-port"),
     ("ທ່າເຮືອອັດສະລິຍະ", "smart-port"), ("តោនសរុប", "gross-tonnage"), ("铁海联运", "sea-rail-intermodal"),
     ("Lkw-Zeitfenster", "truck-appointment-system")],
)  # fmt: skip
def test_lookup_by_any_language(name: str, term_id: str) -> None:
    found = load_glossary().lookup(name)
    assert found is not None
    assert found.id == term_id


def test_find_terms_inside_questions_of_every_script() -> None:
    glossary = load_glossary()
    cases = {
        "What is the berth occupancy ratio at Cai Mep?": "berth-occupancy",
        "岸电在哪些码头使用？": "shore-power",
        "ท่าเรือบกช่วยลดต้นทุนอย่างไร": "dry-port",
        "តើគយប្រើប្រព័ន្ធអ្វី": "customs",
        "Wie lange ist die Verweildauer der Container?": "dwell-time",
        # Vietnamese writes crane both cẩu and cần trục; the sample case study uses the latter.
        "Năng suất cần trục tại Cái Mép là bao nhiêu?": "crane-moves-per-hour",
        "Bến có bao nhiêu cần trục bờ STS?": "quay-crane",
    }
    for question, term_id in cases.items():
        assert term_id in {t.id for t in glossary.find(question)}, question


def _scan(names: list[tuple[str, str, str, list[str]]], query: str) -> list[str]:
    """What `find` promises, the slow way: every name slid along the question's tokens."""
    tokens = lexical_tokens(query)
    folded = unicodedata.normalize("NFC", query).casefold()
    found: list[str] = []
    for term_id, lang, name, part in names:
        if found and found[-1] == term_id:
            continue
        runs = [tokens[i : i + len(part)] for i in range(len(tokens) - len(part) + 1)]
        unspaced = lang in {"zh", "th", "km", "lo"} and len(name) >= 3
        if (part and part in runs) or (unspaced and name in folded):
            found.append(term_id)
    return found


def test_find_names_the_same_terms_as_sliding_every_name_along_the_question() -> None:
    glossary = load_glossary()
    questions = [q.text for q in load_question_set()]
    names = [name for term in glossary.terms for _, name in term.variants()]
    assert len(questions) > 200 and len(names) > 800
    patterns = [
        (term.id, lang, unicodedata.normalize("NFC", name).casefold().strip(), lexical_tokens(name))
        for term in glossary.terms
        for lang, name in term.variants()
    ]
    found = 0
    for text in questions + names:
        terms = [t.id for t in glossary.find(text)]
        assert terms == _scan(patterns, text), text
        found += bool(terms)
    assert found > len(names)  # every name finds at least its own term, and questions name terms


def test_expand_adds_other_languages_not_the_query_itself() -> None:
    glossary = load_glossary()
    pairs = glossary.expand("shore power")
    assert ("zh", "岸电") in pairs
    assert ("de", "landstrom") in pairs
    assert "shore" not in {token for _, token in pairs}
    assert glossary.expand("a question about nothing in particular") == []


def test_invalid_glossary_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "glossary.yaml"
    bad.write_text("terms:\n  - id: x\n    definition: y\n    en: [x]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid glossary entry"):
        load_glossary(bad)


def test_define_prints_every_language() -> None:
    result = CliRunner().invoke(app, ["define", "岸电"])
    assert result.exit_code == 0, result.output
    assert "shore power" in result.output
    assert "Landstrom" in result.output
    assert "ໄຟຟ້າຈາກຝັ່ງ" in result.output


def test_define_json_and_unknown_term() -> None:
    runner = CliRunner()
    payload = json.loads(runner.invoke(app, ["define", "TEU", "--json"]).stdout)
    assert payload["id"] == "teu"
    assert set(payload["names"]) == set(LANGUAGES)
    missing = runner.invoke(app, ["define", "berht"])
    assert missing.exit_code == 2
    assert "did you mean" in missing.output
