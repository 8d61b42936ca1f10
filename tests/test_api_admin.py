"""Admin routes through TestClient: keys, uploads end to end, upload checks and limits, jobs, deletion."""

from __future__ import annotations

import io
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from PIL import Image

from server.app import create_app
from server.feedback import Records
from tests.api_support import (
    ADMIN,
    KEY,
    api_settings,
    assert_error,
    synced_client,
    wait_for_job,
)
from tests.docs import make_docx, make_pdf

PDF_TEXT = [
    "Mooring line snap-back zones must be painted on every berth.",
    "Linesmen stand outside the snap-back zone while a vessel is made fast.",
]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("admin")


@pytest.fixture(scope="module")
def client(root: Path, tiny: object, tiny_model_dir: Path) -> Iterator[TestClient]:
    settings = api_settings(
        root, tiny_model_dir, max_upload_mb=0.2, max_upload_files=3, max_pages=5
    )
    with synced_client(settings) as client:
        yield client


def _upload(client: TestClient, files: list[tuple[str, bytes]], **fields: Any) -> Any:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return client.post("/api/v1/documents", files=parts, data=fields, headers=ADMIN)


def _pdf(tmp_path: Path, pages: list[str] = PDF_TEXT) -> bytes:
    return make_pdf(tmp_path / "upload.pdf", pages).read_bytes()


def test_uploaded_pdf_is_indexed_found_rendered_and_deleted(
    client: TestClient, root: Path, tmp_path: Path
) -> None:
    response = _upload(
        client,
        [("Mooring Safety.pdf", _pdf(tmp_path))],
        title="Mooring safety",
        kind="guideline",
        year="2024",
        topics=["safety;mooring"],
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    (doc_id,) = accepted["doc_ids"]
    assert re.fullmatch(r"uploads/[0-9a-f]{20}\.pdf", doc_id)
    job = wait_for_job(client, accepted["job_id"])
    assert job["status"] == "done", job
    assert job["files_done"] == job["files_total"] == 8 and job["report"]["totals"]["indexed"] == 1

    hits = client.post("/api/v1/search", json={"query": "snap-back zone linesmen"}).json()["hits"]
    assert hits[0]["doc_id"] == doc_id and hits[0]["title"] == "Mooring safety"
    assert hits[0]["kind"] == "guideline" and hits[0]["year"] == 2024
    detail = client.get(f"/api/v1/documents/{doc_id}").json()
    assert detail["page_count"] == 2 and detail["topics"] == ["safety", "mooring"]
    download = client.get(detail["file_url"])
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("inline; filename=")
    assert download.content.startswith(b"%PDF-")
    image = client.get(detail["pages"][1]["image_url"], params={"width": 600})
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    assert Image.open(io.BytesIO(image.content)).width == 600

    stored = root / "lib" / doc_id
    catalog = yaml.safe_load((root / "lib" / "catalog.uploads.yaml").read_text(encoding="utf-8"))
    assert stored.is_file() and [r["file"] for r in catalog["documents"]] == [doc_id]

    deleted = client.delete(f"/api/v1/documents/{doc_id}", headers=ADMIN)
    assert deleted.status_code == 200 and deleted.json() == {"doc_id": doc_id, "deleted": True}
    assert not stored.exists()
    catalog = yaml.safe_load((root / "lib" / "catalog.uploads.yaml").read_text(encoding="utf-8"))
    assert catalog["documents"] == []
    assert_error(client.get(f"/api/v1/documents/{doc_id}"), 404)
    hits = client.post("/api/v1/search", json={"query": "snap-back zone linesmen"}).json()["hits"]
    assert doc_id not in {h["doc_id"] for h in hits}


def test_a_client_path_never_reaches_the_filesystem(
    client: TestClient, root: Path, tmp_path: Path
) -> None:
    data = _pdf(tmp_path, ["Traversal test page about quay walls."])
    response = _upload(client, [("../../etc/passwd.pdf", data)])
    assert response.status_code == 202, response.text
    (doc_id,) = response.json()["doc_ids"]
    assert re.fullmatch(r"uploads/[0-9a-f]{20}\.pdf", doc_id)
    assert (root / "lib" / doc_id).read_bytes() == data
    assert not (root / "etc").exists() and not (root.parent / "etc").exists()
    assert wait_for_job(client, response.json()["job_id"])["status"] == "done"
    assert client.get(f"/api/v1/documents/{doc_id}").json()["title"] == "passwd"
    assert client.delete(f"/api/v1/documents/{doc_id}", headers=ADMIN).status_code == 200


def test_uploaded_html_is_only_ever_downloaded(client: TestClient) -> None:
    page = b"<html><body><h1>Gate hours</h1><p>The gate opens at six.</p><script>x()</script>"
    response = _upload(client, [("gate.html", page)], title="Gate hours")
    assert wait_for_job(client, response.json()["job_id"])["status"] == "done"
    (doc_id,) = response.json()["doc_ids"]
    download = client.get(f"/api/v1/documents/{doc_id}/file")
    assert download.headers["content-type"].startswith("text/html")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["content-security-policy"] == "sandbox"
    assert client.delete(f"/api/v1/documents/{doc_id}", headers=ADMIN).status_code == 200


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "not a PDF"),
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", ".exe is not accepted"),
        ("notes", b"plain words", "no extension is not accepted"),
        ("deck.pptx", b"PK\x03\x04 not really a zip", "not a zip archive"),
        ("notes.txt", b"\xff\xd8\xff\xe0 a JPEG in disguise", "not UTF-8 text"),
        ("page.html", b"<p>hi\x00there</p>", "binary content"),
    ],
)
def test_files_whose_content_does_not_match_are_415(
    client: TestClient, name: str, data: bytes, needle: str
) -> None:
    error = assert_error(_upload(client, [(name, data)]), 415, "UploadError")
    assert needle in error["message"]


def test_a_docx_posing_as_a_pptx_is_415(client: TestClient, tmp_path: Path) -> None:
    docx = make_docx(tmp_path / "a.docx", [[("Heading", "Body text.")]]).read_bytes()
    error = assert_error(_upload(client, [("slides.pptx", docx)]), 415)
    assert "not a PPTX" in error["message"]


def test_upload_limits_are_413(client: TestClient, tmp_path: Path) -> None:
    pdf = _pdf(tmp_path)
    big = assert_error(_upload(client, [("big.txt", b"a" * 250_000)]), 413)
    assert "0.2 MB limit" in big["message"] or "over the" in big["message"]
    many = assert_error(_upload(client, [(f"{n}.txt", b"text") for n in range(4)]), 413)
    assert "at most 3" in many["message"]
    long = _pdf(tmp_path, [f"page {n}" for n in range(6)])
    assert "6 pages" in assert_error(_upload(client, [("long.pdf", long)]), 413)["message"]
    assert pdf  # a small PDF stays under every limit (see the end-to-end test)


def test_oversize_bodies_are_rejected_early_and_while_streaming(client: TestClient) -> None:
    huge = b"x" * 1_700_000  # over the upload route's cap: 3 files x 0.2 MB + 1 MB
    early = client.post(
        "/api/v1/documents", content=huge, headers={**ADMIN, "content-type": "text/plain"}
    )
    assert "over the 1.6 MB limit" in assert_error(early, 413, "RequestTooLarge")["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is checked as bytes arrive
        for _ in range(20):
            yield b"y" * 100_000

    streamed = client.post(
        "/api/v1/documents",
        content=chunks(),
        headers={**ADMIN, "content-type": "multipart/form-data; boundary=zzz"},
    )
    assert_error(streamed, 413, "RequestTooLarge")
    json_body = client.post(
        "/api/v1/search",
        content=b'{"query": "' + b"a" * 1_100_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert_error(json_body, 413, "RequestTooLarge")


def test_bad_catalog_fields_are_422(client: TestClient, tmp_path: Path) -> None:
    error = assert_error(_upload(client, [("a.pdf", _pdf(tmp_path))], kind="poster"), 422)
    assert error["error"] == "CatalogError" and "kind" in error["message"]


ADMIN_ROUTES = [
    ("GET", "/api/v1/jobs"),
    ("GET", "/api/v1/jobs/some-job"),
    ("POST", "/api/v1/reindex"),
    ("DELETE", "/api/v1/documents/en/berth-occupancy.txt"),
    ("GET", "/api/v1/feedback.csv"),
    ("GET", "/api/v1/gaps"),
    ("GET", "/api/v1/gaps.csv"),
    ("POST", "/api/v1/documents"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_admin_routes_need_a_valid_key(client: TestClient, method: str, path: str) -> None:
    assert_error(client.request(method, path), 401, "AuthError")
    wrong = client.request(method, path, headers={"X-API-Key": "guess"})
    assert_error(wrong, 403, "ForbiddenError")
    wrong_bearer = client.request(method, path, headers={"Authorization": "Bearer guess"})
    assert_error(wrong_bearer, 403)


def test_a_bearer_token_is_accepted(client: TestClient) -> None:
    response = client.get("/api/v1/jobs", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200 and "jobs" in response.json()


def test_without_configured_keys_admin_routes_say_how_to_set_one(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    settings = api_settings(tmp_path, tiny_model_dir, api_keys=[])
    client = TestClient(create_app(settings, ui=False))
    error = assert_error(client.get("/api/v1/jobs", headers=ADMIN), 403, "ForbiddenError")
    assert "PORTWISE_SERVER__API_KEYS" in error["message"]


def test_unknown_jobs_and_documents_are_404(client: TestClient) -> None:
    assert_error(client.get("/api/v1/jobs/no-such-job", headers=ADMIN), 404, "NotFoundError")
    assert_error(client.delete("/api/v1/documents/no/such.pdf", headers=ADMIN), 404)


def test_reindex_runs_as_a_job_with_a_report(client: TestClient) -> None:
    response = client.post("/api/v1/reindex", headers=ADMIN)
    assert response.status_code == 202
    job = wait_for_job(client, response.json()["job_id"])
    assert job["status"] == "done" and job["kind"] == "reindex"
    assert job["report"]["totals"]["unchanged"] >= 6 and job["report"]["totals"]["failed"] == 0
    listed = client.get("/api/v1/jobs", headers=ADMIN).json()["jobs"]
    assert listed[0]["id"] == job["id"]


def test_feedback_is_stored_and_exported(client: TestClient) -> None:
    body = {
        "question": '=HYPERLINK("x") What is berth occupancy?',
        "answer": "Berth occupancy ratio is the share of time a berth is occupied [1].",
        "citations": [{"n": 1, "doc_id": "en/berth-occupancy.txt", "page": 1, "quote": "q"}],
        "rating": -1,
        "language": "en",
    }
    assert client.post("/api/v1/feedback", json=body).status_code == 201
    assert_error(client.post("/api/v1/feedback", json={**body, "rating": 0}), 422)
    exported = client.get("/api/v1/feedback.csv", headers=ADMIN)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    header, row = exported.text.splitlines()[:2]
    assert header == "asked,question,answer,citations,sources,rating,language"
    assert row.count("'=HYPERLINK") == 1, "a formula-like cell is defused for spreadsheets"
    assert "en/berth-occupancy.txt#page=1" in row and ",-1,en" in row


def test_deleting_a_library_document_keeps_it_out_of_later_syncs(
    client: TestClient, root: Path
) -> None:
    doc_id = "de/anchorage.txt"
    assert client.delete(f"/api/v1/documents/{doc_id}", headers=ADMIN).status_code == 200
    assert not (root / "lib" / doc_id).exists()
    assert list((root / "data" / "deleted").glob("*-anchorage.txt")), "kept aside, not destroyed"
    job = wait_for_job(client, client.post("/api/v1/reindex", headers=ADMIN).json()["job_id"])
    assert job["status"] == "done"
    assert_error(client.get(f"/api/v1/documents/{doc_id}"), 404)


def test_a_job_cut_short_by_a_restart_is_finished_by_a_reindex(
    tmp_path: Path, tiny: object, tiny_model_dir: Path
) -> None:
    settings = api_settings(tmp_path, tiny_model_dir)
    records = Records(Path(settings.server.data_dir))
    with sqlite3.connect(records.path) as db:
        db.execute(
            "INSERT INTO jobs VALUES ('old', 'upload', 'running', ?, 7, 3, 'x.txt', '[]', NULL, '')",
            (time.time() - 60,),
        )
    with TestClient(create_app(settings, ui=False)) as client:
        old = client.get("/api/v1/jobs/old", headers=ADMIN).json()
        assert old["status"] == "interrupted" and "reindex" in old["error"]
        newest = client.get("/api/v1/jobs", headers=ADMIN).json()["jobs"][0]
        assert newest["kind"] == "reindex"
        assert wait_for_job(client, newest["id"])["status"] == "done"
        assert client.get("/api/v1/documents").json()["total"] == 7
