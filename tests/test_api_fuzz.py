"""Schemathesis over the OpenAPI description, in process: no 5xx, and responses match the schema.

Valid and invalid requests for every operation (admin ones with the key), against a started
service. What it found is kept below as plain regression tests: bodies that are not UTF-8 JSON or
not parseable multipart were bare 400s, and a DOCX with a damaged part was a 500 at upload (or,
past the upload checks, an ingest crash that failed every later sync).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from kb.settings import Settings
from server.app import create_app
from server.service import Service
from tests.api_support import ADMIN, api_settings, assert_error, sync, wait_for_job
from tests.docs import break_zip_member, make_docx

EXAMPLES = 60
# Valid-by-schema requests may still be refused: filter values must be ones the library has, and
# a chat must end with a user question (422 FilterError, ChatFormatError); invalid requests may be
# refused for their size or type (413, 415) before their fields are looked at.
CHECKS = """
[checks]
positive_data_acceptance.enabled = false
negative_data_rejection.expected-statuses = [400, 401, 403, 404, 406, 413, 415, 422]
"""
OPERATIONS = [
    (method.upper(), path)
    for path, methods in create_app(Settings(), ui=False).openapi()["paths"].items()
    for method in methods
]


class Started:
    """The app over an already started service: lifespan events (schemathesis opens one per
    request) are answered here, so the service is neither restarted nor closed between requests."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while (await receive())["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory, tiny: object, tiny_model_dir: Path
) -> Iterator[Any]:
    settings = api_settings(tmp_path_factory.mktemp("fuzz"), tiny_model_dir, rate_limit="")
    sync(settings)
    service = Service.open(settings)
    try:
        app = Started(create_app(settings, ui=False, service=service))
        config = SchemathesisConfig.from_str(CHECKS)
        yield schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    finally:
        service.close()


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_api_conforms_to_its_schema(api_schema: Any, method: str, path: str) -> None:
    operation = api_schema[path][method]

    modes = [operation.as_strategy(mode) for mode in GenerationMode]  # valid and invalid requests

    @given(case=st.one_of(modes))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,  # the same examples every run: CI must not pass or fail by chance
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=ADMIN)

    run()


@pytest.mark.parametrize(
    ("path", "content_type", "body", "needle"),
    [
        ("/api/v1/search", "application/json", b"\xff\xfe{", "not UTF-8 text"),
        ("/api/v1/documents", "multipart/form-data", b"--x--", "Missing boundary"),
    ],
)
def test_unreadable_bodies_are_422_with_a_readable_message(
    api_schema: Any, path: str, content_type: str, body: bytes, needle: str
) -> None:
    client = TestClient(api_schema.app)  # found by the fuzzing above: these were bare 400s
    headers = {**ADMIN, "content-type": content_type}
    error = assert_error(client.post(path, content=body, headers=headers), 422, "ValidationError")
    assert needle in error["message"]


def test_a_damaged_docx_is_refused_or_fails_alone(api_schema: Any, tmp_path: Path) -> None:
    client = TestClient(api_schema.app)
    docx = make_docx(tmp_path / "a.docx", [[("Gate", "The gate opens at six.")]]).read_bytes()

    def upload(data: bytes) -> Any:
        files = [("files", ("gate.docx", data, "application/octet-stream"))]
        return client.post("/api/v1/documents", files=files, headers=ADMIN)

    refused = upload(break_zip_member(docx, "word/document.xml"))  # was a 500 (zlib.error)
    assert "damaged DOCX" in assert_error(refused, 415, "UploadError")["message"]
    accepted = upload(break_zip_member(docx, "word/styles.xml"))  # passes the upload checks
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(client, accepted.json()["job_id"])
    assert job["status"] == "failed" and "damaged DOCX" in job["error"]
    # It used to crash every sync that met it; now it is one failed file and the rest goes on.
    reindex = wait_for_job(client, client.post("/api/v1/reindex", headers=ADMIN).json()["job_id"])
    assert reindex["status"] == "done" and reindex["report"]["totals"]["failed"] == 1
