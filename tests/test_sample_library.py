"""The sample library and the question set agree (no rendering: reads the committed files)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb.authoring.build import MANIFEST_NAME
from kb.authoring.check import MIN_PER_LANGUAGE, MIN_TOTAL, MIN_UNANSWERABLE, CheckResult, check
from kb.authoring.markup import to_blocks
from kb.authoring.verify import coverage, normalise
from kb.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def result() -> CheckResult:
    return check(ROOT, facts=False)


def test_question_set_and_library_agree(result: CheckResult) -> None:
    assert result.errors == []


def test_question_counts(result: CheckResult) -> None:
    for language, least in MIN_PER_LANGUAGE.items():
        assert result.by_language[language] >= least, language
    assert result.total >= MIN_TOTAL
    assert result.by_type["unanswerable"] >= MIN_UNANSWERABLE
    non_english = result.total - result.by_language["en"]
    assert result.by_type["cross-lingual"] * 2 >= non_english


def test_every_catalog_entry_is_sample_and_exists() -> None:
    catalog = load_catalog(ROOT / "kb")
    assert catalog.entries
    for rel, entry in catalog.entries.items():
        assert entry.sample, rel
        assert (catalog.library / rel).is_file(), rel


def test_every_library_file_has_a_catalog_entry() -> None:
    catalog = load_catalog(ROOT / "kb")
    files = {
        path.relative_to(catalog.library).as_posix()
        for path in catalog.library.rglob("*")
        if path.is_file() and path.name != MANIFEST_NAME
    }
    assert files
    assert sorted(files - set(catalog.entries)) == []


def test_markup_blocks_keep_tables_and_lists() -> None:
    blocks = to_blocks("Intro.\n| KPI | Target |\n|---|---|\n| BOR | 70% |\n\n- one\n  - two\n")
    assert [b.kind for b in blocks] == ["paragraph", "table", "bullet", "bullet"]
    assert blocks[1].text == "KPI Target\nBOR 70%"
    assert blocks[3].level == 1


def test_text_normalisation_folds_extraction_artefacts() -> None:
    assert normalise("港\u2f1d 绩效") == normalise("港口绩效")  # Kangxi radical from CJK fonts
    assert normalise("\u2edb险") == normalise("风险")  # CJK radicals supplement
    assert coverage("น้ำ", "น ้ ํ า") == 1.0  # Thai SARA AM split by the shaper


def test_pages_that_also_state_the_answer_are_checked_like_gold(tmp_path: Path) -> None:
    (tmp_path / "kb").symlink_to(ROOT / "kb")
    (tmp_path / "eval" / "questions").mkdir(parents=True)
    question = {
        "id": "smart-en-99",
        "question": "What capacity is planned for Tuas?",
        "language": "en",
        "types": ["single"],
        "gold": [
            {
                "doc": "lectures/smart-port-digital-twins.pptx",
                "pages": [5],
                "also": [
                    {"doc": "faq/smart-green-port-faq.html", "pages": [1]},
                    {"doc": "faq/smart-green-port-faq.html", "pages": [99]},
                    {"doc": "faq/no-such-page.html", "pages": [1]},
                ],
            }
        ],
        "facts": ["65 million TEU"],
    }
    (tmp_path / "eval" / "questions" / "smart.yaml").write_text(yaml.safe_dump([question]))
    errors = [e for e in check(tmp_path, facts=False).errors if "smart-en-99" in e]
    assert len(errors) == 2, errors
    assert (
        "no page [99]" in errors[0]
        and "also of lectures/smart-port-digital-twins.pptx" in errors[0]
    )
    assert "'faq/no-such-page.html' is not in kb/catalog.yaml" in errors[1]
