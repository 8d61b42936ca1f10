"""The HTTP API through TestClient on a real store: search, ask (JSON and SSE), library, operations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.snippets import snippet
from tests.api_support import ADMIN, api_settings, assert_error, synced_client

QUESTION = "What is the berth occupancy ratio?"


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, tiny: object, tiny_model_dir: Path
) -> Iterator[TestClient]:
    with synced_client(api_settings(tmp_path_factory.mktemp("api"), tiny_model_dir)) as client:
        yield client


def _search(client: TestClient, **body: Any) -> Any:
    return client.post("/api/v1/search", json={"query": "berth occupancy", **body})


def test_search_hits_carry_marked_snippets_and_working_links(client: TestClient) -> None:
    response = _search(client, top_k=5)
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert 1 <= len(hits) <= 5
    # The tiny model's dense leg is random; the lexical leg keeps the matching document near the top.
    top = next(h for h in hits if h["doc_id"] == "en/berth-occupancy.txt")
    assert top["page"] == 1
    assert "<mark>Berth</mark> <mark>occupancy</mark>" in top["snippet"]
    assert {top["kind"], top["event"], top["year"], top["language"]} == {
        "lecture",
        "Course A",
        2019,
        "en",
    }
    image = client.get(top["page_image_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert client.get(top["file_url"]).status_code == 200


def test_search_says_which_language_it_read_the_query_in(client: TestClient) -> None:
    queries = ["pilotage", "TEU", "kreyn sa pantalan", "ท่าเรือ", "Wie lang ist die Liegezeit?"]
    read = [_search(client, query=q).json()["language"] for q in queries]
    # The first two are Spanish and Portuguese to the language detector, the third Cebuano.
    assert read == ["en", "en", "fil", "th", "de"]


def test_snippets_escape_html_and_mark_unspaced_scripts() -> None:
    assert snippet("Use <b>quay</b> cranes & more", "quay") == (
        "Use &lt;b&gt;<mark>quay</mark>&lt;/b&gt; cranes &amp; more"
    )
    assert "<mark>ท่าเรือ</mark>" in snippet("ท่าเรือแหลมฉบังติดตาม", "ท่าเรือ")
    long = "filler words here. " * 40 + "the dwell time rose."
    cut = snippet(long, "dwell")
    assert cut.startswith("…") and "<mark>dwell</mark>" in cut and len(cut) < 400


def test_search_filters_narrow_the_hits(client: TestClient) -> None:
    hits = _search(client, filters={"kind": ["guideline"]}).json()["hits"]
    assert hits and {h["kind"] for h in hits} == {"guideline"}
    hits = _search(client, filters={"year_from": 2022, "year_to": 2023}).json()["hits"]
    assert hits and all(2022 <= h["year"] <= 2023 for h in hits)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"query": "berth", "filters": {"kind": ["poster"]}}, "use case-study, guideline"),
        ({"query": "berth", "filters": {"language": ["xx"]}}, "language: unknown 'xx'"),
        ({"query": ""}, "body.query: Value error, is empty; type a question"),
        ({"query": "   "}, "body.query: Value error, is empty; type a question"),
        ({"query": 7}, "body.query: Input should be a valid string"),
        ({"query": "berth", "top_k": 0}, "body.top_k"),
        ({"query": "berth", "top_k": 51}, "less than or equal to 50"),
        ({"query": "berth", "filters": {"colour": ["red"]}}, "body.filters.colour"),
        ({"query": "berth", "filters": {"year_from": 2023, "year_to": 2019}}, "after year_to"),
    ],
)
def test_bad_searches_are_422_with_a_readable_message(
    client: TestClient, body: dict[str, Any], needle: str
) -> None:
    error = assert_error(client.post("/api/v1/search", json=body), 422)
    assert needle in error["message"]


def test_malformed_json_is_422_with_the_error_shape(client: TestClient) -> None:
    response = client.post(
        "/api/v1/search", content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in assert_error(response, 422, "ValidationError")["message"]


def test_ask_returns_a_cited_answer(client: TestClient) -> None:
    response = client.post("/api/v1/ask", json={"question": QUESTION})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert not answer["refused"] and answer["backend"] == "extractive"
    assert answer["language"] == "en" and answer["citations"]
    sources = {s["n"]: s for s in answer["sources"]}
    for cited in answer["citations"]:
        assert f"[{cited['n']}]" in answer["answer"]
        assert " ".join(cited["quote"].split())[:40] in answer["answer"], "extractive: verbatim"
        source = sources[cited["n"]]
        assert (cited["doc_id"], cited["page"]) == (source["doc_id"], source["page"])
        assert cited["page_image_url"] == source["page_image_url"]
    assert client.get(answer["citations"][0]["page_image_url"]).status_code == 200


def _events(client: TestClient, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    headers = {"Accept": "text/event-stream"}
    with client.stream("POST", "/api/v1/ask", json=body, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = []
    for frame in text.strip().split("\n\n"):
        name, data = frame.split("\n", 1)
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


def test_ask_streams_sources_then_tokens_then_done(client: TestClient) -> None:
    events = _events(client, {"question": QUESTION})
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "done"
    assert "token" in names and set(names[1:-1]) == {"token"}
    assert not events[0][1]["refused"] and events[0][1]["sources"][0]["n"] == 1
    done = events[-1][1]
    assert done["citations"] and done["sources"] == events[0][1]["sources"]
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert streamed and done["answer"]


def test_a_refusal_is_kept_as_a_knowledge_gap(client: TestClient) -> None:
    answer_settings = client.app.state.service.settings.answer  # type: ignore[attr-defined]
    answer_settings.refusal_threshold = 2.0  # no cosine reaches it: every question is refused
    try:
        events = _events(client, {"question": "Who won the 1998 football final?"})
    finally:
        answer_settings.refusal_threshold = -1.0
    assert events[0][1]["refused"] and events[-1][1]["refused"]
    assert [name for name, _ in events] == ["sources", "done"]
    gaps = client.get("/api/v1/gaps", headers=ADMIN).json()["gaps"]
    assert gaps[0]["question"] == "Who won the 1998 football final?"
    assert gaps[0]["language"] == "en" and gaps[0]["closest"]
    exported = client.get("/api/v1/gaps.csv", headers=ADMIN)
    assert exported.headers["content-type"].startswith("text/csv")
    assert "Who won the 1998 football final?" in exported.text


def test_documents_paginate_and_filter(client: TestClient) -> None:
    listing = client.get("/api/v1/documents", params={"limit": 3}).json()
    assert listing["total"] == 7 and len(listing["documents"]) == 3
    rest = client.get("/api/v1/documents", params={"offset": 3, "limit": 10}).json()
    ids = [d["doc_id"] for d in listing["documents"] + rest["documents"]]
    assert len(set(ids)) == 7
    thai = client.get("/api/v1/documents", params={"language": "th"}).json()
    assert [d["doc_id"] for d in thai["documents"]] == ["th/berth-th.txt"]
    assert_error(client.get("/api/v1/documents", params={"kind": "poster"}), 422, "FilterError")
    assert_error(client.get("/api/v1/documents", params={"limit": 0}), 422)


def test_document_detail_file_and_page_image(client: TestClient) -> None:
    detail = client.get("/api/v1/documents/en/reefer-handbook.txt").json()
    assert detail["title"] == "en/reefer-handbook.txt" and detail["chunk_count"] > 1
    assert detail["pages"] == [
        {"number": 1, "image_url": "/api/v1/documents/en/reefer-handbook.txt/pages/1.png"}
    ]
    download = client.get(detail["file_url"])
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-disposition"] == 'inline; filename="reefer-handbook.txt"'
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.text.startswith("Reefer section 0.")
    image = client.get(detail["pages"][0]["image_url"], params={"width": 400})
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    text = client.app.state.service.page_text("en/reefer-handbook.txt", 1)  # type: ignore[attr-defined]
    assert all(text.count(f"Reefer section {n}.") == 1 for n in range(8)), "overlaps dropped"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/documents/nope/missing.pdf",
        "/api/v1/documents/nope/missing.pdf/file",
        "/api/v1/documents/nope/missing.pdf/pages/1.png",
        "/api/v1/documents/en/berth-occupancy.txt/pages/99.png",
        "/api/v1/documents/../../etc/passwd",
        "/api/v1/chunks/not-a-chunk/similar",
    ],
)
def test_unknown_documents_and_pages_are_404(client: TestClient, path: str) -> None:
    assert_error(client.get(path), 404)


def test_similar_chunks_come_from_other_pages(client: TestClient) -> None:
    top = _search(client).json()["hits"][0]
    similar = client.get(f"/api/v1/chunks/{top['chunk_id']}/similar", params={"k": 3}).json()
    assert similar and len(similar) <= 3
    assert all((h["doc_id"], h["page"]) != (top["doc_id"], top["page"]) for h in similar)


def test_facets_count_documents_per_value(client: TestClient) -> None:
    facets = client.get("/api/v1/facets").json()["facets"]
    assert facets["kind"]["lecture"] == 3 and facets["language"]["en"] == 2
    narrowed = client.get("/api/v1/facets", params={"kind": "lecture"}).json()["facets"]
    assert narrowed["kind"]["guideline"] == 2, "a field's own filter leaves its counts alone"
    assert sum(narrowed["language"].values()) == 3


def test_health_readiness_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
    assert client.get("/readyz").json()["status"] == "ready"
    _search(client)
    client.get("/api/v1/documents/en/berth-occupancy.txt")
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'portwise_http_requests_total{method="POST",route="/api/v1/search",status="200"}' in text
    assert "portwise_search_duration_seconds_count" in text
    assert "portwise_http_request_duration_seconds_bucket" in text
    assert "portwise_documents 7.0" in text and "portwise_chunks " in text
    # Labelled by route template, never by the raw path (ids would make one series per document).
    assert 'route="/api/v1/documents/{doc_id:path}",status="200"' in text
    assert "berth-occupancy.txt" not in text


def test_readiness_is_503_until_the_service_starts(tmp_path: Path, tiny_model_dir: Path) -> None:
    app = create_app(api_settings(tmp_path, tiny_model_dir), ui=False)
    client = TestClient(app)  # no `with`: the lifespan (which starts the service) never runs
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"] == {"service": "not started"}
    assert_error(_search(client), 503, "NotReadyError")


def test_openapi_documents_every_route_with_models_and_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Portwise API" and spec["info"]["version"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("description") or operation.get("summary"), where
            assert (
                "200" in operation["responses"]
                or "201" in operation["responses"]
                or ("202" in operation["responses"])
            ), where
    search = spec["paths"]["/api/v1/search"]["post"]["responses"]
    assert search["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    delete = spec["paths"]["/api/v1/documents/{doc_id}"]["delete"]["responses"]
    assert {"401", "403", "404"} <= set(delete)
    assert "X-API-Key" in json.dumps(spec["components"]["securitySchemes"])


def test_the_mounted_ui_answers_on_root(tmp_path: Path, tiny: object, tiny_model_dir: Path) -> None:
    pytest.importorskip("ui.app", reason="the Gradio UI (ui/app.py) is not there yet")
    settings = api_settings(tmp_path, tiny_model_dir)
    with TestClient(create_app(settings, ui=True)) as client:
        page = client.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert client.get("/healthz").json()["status"] == "ok", "API routes win over the mount"
        assert client.post("/api/v1/search", json={"query": "berth"}).status_code == 200


def test_the_service_warms_search_up_in_the_background_at_start(
    tmp_path: Path,
    tiny: object,
    tiny_model_dir: Path,
) -> None:
    with synced_client(api_settings(tmp_path / "on", tiny_model_dir)) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        assert service.warmed.wait(timeout=120)
        assert service.parts.retriever.indexed  # built before any question asked for it
    with synced_client(api_settings(tmp_path / "off", tiny_model_dir, warm_up=False)) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        assert service.warmed.is_set()
        assert not service.parts.retriever.indexed  # off: the first search builds it
