"""Security of the service: admin keys never logged or echoed, the CORS allowlist, per-client rate
limits, no file access through the mounted Gradio UI, upload checks (bombs, long decks, locked and
empty files), and dependency floors past known advisories."""

from __future__ import annotations

import io
import logging
import tomllib
import zipfile
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from packaging.requirements import Requirement
from packaging.version import Version

from kb.errors import ConfigError, UploadError
from kb.settings import Settings
from server.app import create_app
from server.uploads import ZIP_RATIO, UploadTooLargeError, check_file
from tests.api_support import ADMIN, KEY, api_settings, assert_error, sync, wait_for_job
from tests.docs import make_docx, make_encrypted_pdf, make_pdf, make_pptx

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = "https://training.example.org"
EVIL = "https://evil.example.com"
WRONG_KEY = "wrong-" + KEY[::-1]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, tiny: object, tiny_model_dir: Path) -> Any:
    root = tmp_path_factory.mktemp("security")
    settings = api_settings(root, tiny_model_dir, cors_origins=[ALLOWED], rate_limit="")
    sync(settings)
    return settings


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, ui=False)) as client:
        yield client


def _admin_session(client: TestClient) -> dict[str, Any]:
    """Every kind of admin request, with the key (header and bearer) and with a wrong key."""
    files = [("files", ("gate hours.txt", b"The gate opens at six for trucks.", "text/plain"))]
    upload = client.post("/api/v1/documents", files=files, data={"kind": "faq"}, headers=ADMIN)
    assert upload.status_code == 202, upload.text
    (doc_id,) = upload.json()["doc_ids"]
    job_id = upload.json()["job_id"]
    assert wait_for_job(client, job_id)["status"] == "done"
    bearer = {"Authorization": f"Bearer {KEY}"}
    return {
        "upload": upload,
        "jobs": client.get("/api/v1/jobs", headers=bearer),
        "job": client.get(f"/api/v1/jobs/{job_id}", headers=ADMIN),
        "no job": client.get("/api/v1/jobs/no-such-job", headers=ADMIN),
        "gaps": client.get("/api/v1/gaps.csv", headers=ADMIN),
        "feedback": client.get("/api/v1/feedback.csv", headers=bearer),
        "bad fields": client.post(
            "/api/v1/documents", files=files, data={"kind": "poster"}, headers=ADMIN
        ),
        "wrong key": client.get("/api/v1/jobs", headers={"X-API-Key": WRONG_KEY}),
        "wrong bearer": client.get(
            "/api/v1/jobs", headers={"Authorization": f"Bearer {WRONG_KEY}"}
        ),
        "delete": client.delete(f"/api/v1/documents/{doc_id}", headers=ADMIN),
    }


def test_admin_keys_never_reach_the_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ["", *logging.root.manager.loggerDict]:  # every logger there is, at DEBUG
        caplog.set_level(logging.DEBUG, logger=name or None)
    _admin_session(client)
    assert any("deleted document" in r.getMessage() for r in caplog.records), "logs captured"
    logged = caplog.text + "".join(repr(r.args) + r.getMessage() for r in caplog.records)
    assert KEY not in logged and WRONG_KEY not in logged


def test_admin_keys_are_in_no_response(client: TestClient, settings: Settings) -> None:
    responses = _admin_session(client)
    assert_error(responses["wrong key"], 403, "ForbiddenError")
    assert_error(responses["bad fields"], 422, "CatalogError")
    for path in ("/openapi.json", "/docs", "/redoc", "/metrics", "/healthz", "/readyz"):
        responses[path] = client.get(path)
    responses["library"] = client.get("/api/v1/documents")
    for name, response in responses.items():
        assert response.status_code < 500, name
        assert KEY not in response.text and WRONG_KEY not in response.text, name
        assert all(KEY not in value for value in response.headers.values()), name
    for shown in (repr(settings), str(settings.server), settings.model_dump_json()):
        assert KEY not in shown


def test_cors_answers_only_the_allowed_origin(client: TestClient) -> None:
    allowed = client.get("/api/v1/documents", headers={"Origin": ALLOWED})
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in allowed.headers, "no cookies cross origins"
    refused = client.get("/api/v1/documents", headers={"Origin": EVIL})
    assert refused.status_code == 200 and "access-control-allow-origin" not in refused.headers
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key",
    }
    ok = client.options("/api/v1/documents", headers={"Origin": ALLOWED, **preflight})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ALLOWED
    assert "x-api-key" in ok.headers["access-control-allow-headers"].lower()
    bad = client.options("/api/v1/documents", headers={"Origin": EVIL, **preflight})
    assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, tiny: object, tiny_model_dir: Path) -> Any:
    settings = api_settings(
        tmp_path_factory.mktemp("limited"), tiny_model_dir, rate_limit="3/minute"
    )
    sync(settings)
    app = create_app(settings, ui=False)
    with TestClient(app) as client:  # TestClient's address is "testclient"
        yield app, client


def test_public_routes_are_rate_limited_per_client(limited: Any) -> None:
    app, client = limited
    for _ in range(3):
        assert client.post("/api/v1/search", json={"query": "berth"}).status_code == 200
    over = client.post("/api/v1/search", json={"query": "berth"})
    error = assert_error(over, 429, "TooManyRequests")
    assert "3 per 1 minute" in error["message"] and 1 <= int(over.headers["retry-after"]) <= 60
    assert_error(client.post("/api/v1/ask", json={"question": "berth?"}), 429)  # one budget
    chat = {"messages": [{"role": "user", "content": "berth?"}]}
    assert_error(client.post("/v1/chat/completions", json=chat), 429)
    assert client.get("/api/v1/documents").status_code == 200, "reading the library is not limited"
    assert client.get("/healthz").status_code == 200
    other = TestClient(app, client=("10.0.0.2", 40000))  # same app, already started
    assert other.post("/api/v1/search", json={"query": "berth"}).status_code == 200
    metrics = client.get("/metrics").text
    assert 'status="429"' in metrics, "throttled requests are counted"


def test_no_cors_origins_means_no_cross_origin_access(limited: Any) -> None:
    _, client = limited
    response = client.get("/api/v1/documents", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in response.headers


def test_a_malformed_rate_limit_is_a_config_error(tmp_path: Path, tiny_model_dir: Path) -> None:
    settings = api_settings(tmp_path, tiny_model_dir, rate_limit="lots")
    with pytest.raises(ConfigError, match="120/minute"):
        create_app(settings, ui=False)


# -- the Gradio UI mounted on `/` serves no file outside its own cache ------------------------
@pytest.fixture(scope="module")
def ui_client(tmp_path_factory: pytest.TempPathFactory, tiny: object, tiny_model_dir: Path) -> Any:
    pytest.importorskip("gradio")
    root = tmp_path_factory.mktemp("ui")
    settings = api_settings(root, tiny_model_dir)
    sync(settings)
    secret = root / ".portwise" / "admin-key"  # where `make run` keeps the key, beside the store
    secret.parent.mkdir()
    secret.write_text(KEY, encoding="utf-8")
    with TestClient(create_app(settings, ui=True)) as client:
        yield client, settings, secret


def _outside_files(settings: Settings, secret: Path) -> list[Path]:
    library = settings.library.root
    return [
        Path("/etc/passwd"),
        secret,
        library / "en" / "berth-occupancy.txt",  # served only through /api/v1/documents/…/file
        library / "catalog.yaml",
        Path(settings.server.data_dir) / "portwise.sqlite3",
        ROOT / "pyproject.toml",  # the working directory is not served either
    ]


def test_gradio_serves_no_file_outside_its_cache(ui_client: Any) -> None:
    client, settings, secret = ui_client
    from gradio.utils import get_upload_folder

    inside = Path(get_upload_folder()) / "portwise-test" / "served.txt"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_text("served from the cache", encoding="utf-8")
    assert client.get(f"/gradio_api/file={inside}").text == "served from the cache", "route works"
    for path in _outside_files(settings, secret):
        assert path.is_file(), path
        content = path.read_text(encoding="utf-8", errors="replace")[:40]
        for url in (f"/gradio_api/file={path}", f"/gradio_api/file{path}", f"/file={path}"):
            response = client.get(url)
            assert response.status_code in (403, 404), (url, response.status_code)
            assert content not in response.text
    sneaky = [
        f"/gradio_api/file={get_upload_folder()}/../../../../etc/passwd",
        "/gradio_api/file=../../../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/assets/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/gradio_api/file=http://127.0.0.1:9/api/v1/jobs",  # no fetching from this machine
        "/gradio_api/proxy=http://127.0.0.1:9/api/v1/jobs",
    ]
    for url in sneaky:
        response = client.get(url)
        assert response.status_code >= 400 and "root:x:0:0" not in response.text, url


def test_gradio_is_mounted_without_share_or_extra_paths(ui_client: Any) -> None:
    client, _, _ = ui_client
    mounted = next(r for r in client.app.routes if getattr(r, "path", None) == "")  # type: ignore[attr-defined]
    blocks = mounted.app.get_blocks()
    assert not getattr(blocks, "share", False) and getattr(blocks, "share_url", None) is None
    assert blocks.allowed_paths == [], "no folder is exposed beyond Gradio's own cache"
    for path in ("/", "/config", "/gradio_api/info"):
        response = client.get(path)
        assert response.status_code == 200 and KEY not in response.text, path


# -- uploads: what the upload tests elsewhere do not cover -------------------------------------
def _zip_bomb(docx: bytes, unpacked: int) -> bytes:
    buffer = io.BytesIO(docx)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/zeros.bin", b"\0" * unpacked)
    return buffer.getvalue()


def test_upload_checks_refuse_bombs_long_decks_locked_and_empty_files(tmp_path: Path) -> None:
    cap = 100_000
    docx = make_docx(tmp_path / "a.docx", [[("Gate", "The gate opens at six.")]]).read_bytes()
    bomb = _zip_bomb(docx, cap * ZIP_RATIO + 1)
    assert len(bomb) < cap, "small on the wire"
    with pytest.raises(UploadTooLargeError, match="unpacks to more than"):
        check_file("bomb.docx", bomb, cap, 50)
    deck = make_pptx(tmp_path / "d.pptx", [(f"Slide {n}", "Body", "") for n in range(6)])
    with pytest.raises(UploadTooLargeError, match="6 pages is over the 5-page limit"):
        check_file("deck.pptx", deck.read_bytes(), 10_000_000, 5)
    plain = make_pdf(tmp_path / "p.pdf", ["Quay walls."])
    locked = make_encrypted_pdf(tmp_path / "l.pdf", plain, "s3cret").read_bytes()
    with pytest.raises(UploadError, match="encrypted PDF"):
        check_file("locked.pdf", locked, 10_000_000, 50)
    with pytest.raises(UploadError, match="the file is empty"):
        check_file("empty.txt", b" \n ", 10_000_000, 50)


# -- dependency floors ------------------------------------------------------------------------
# The lowest versions without the known advisories that reach this service (untrusted PDFs and
# uploads, multipart bodies, a public Gradio UI). Named where the advisory is known here:
FLOORS = {
    # CVE-2025-62707/-62708 (6.1.3: inline-image loop, LZW memory) up to CVE-2026-84310/-84311
    # (6.16.1: outlines and XForms that run long and eat memory); GHSA-g867-7843-wf8q (6.14.2).
    "pypdf": "6.16.1",
    # CVE-2025-54121 (0.47.2, multipart), CVE-2025-62727 (0.49.1, Range header), CVE-2026-48710
    # (1.0.1, Host header), CVE-2026-48817/-54282/-54283 (1.3.1); 1.5.1 is the project's floor.
    "starlette": "1.5.1",
    # CVE-2026-24486 (0.0.22, file write), CVE-2026-42561 (0.0.27, part headers),
    # GHSA-5rvq-cxj2-64vf and GHSA-6jv3-5f52-599m (0.0.30), GHSA-v9pg-7xvm-68hf (0.0.31).
    "python-multipart": "0.0.32",
    # GHSA-39mp-8hj3-5c49 (6.7.0, /static path traversal), GHSA-j36p-7w88-g82j (6.16.0,
    # FileExplorer traversal), the /file= open redirect and SSRF (#13593); 6.31 is the floor.
    "gradio": "6.31",
    "fastapi": "0.160",
}


@pytest.mark.parametrize(("package", "floor"), FLOORS.items())
def test_installed_versions_are_past_the_advisories(package: str, floor: str) -> None:
    assert Version(version(package)) >= Version(floor), f"pip install '{package}>={floor}'"


def test_pyproject_floors_keep_fresh_installs_past_the_advisories() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {Requirement(r).name: Requirement(r) for r in project["project"]["dependencies"]}
    for package, floor in FLOORS.items():
        lowest = [Version(s.version) for s in declared[package].specifier if s.operator == ">="]
        assert lowest and max(lowest) >= Version(floor), f"pyproject: {package}>={floor}"
