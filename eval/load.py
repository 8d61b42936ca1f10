"""Load benchmark: concurrent search and ask clients against a real `portwise serve`, with uploads.

Clients (threads with their own HTTP connection) send `/api/v1/search` and `/api/v1/ask` in turn
for a fixed time, while an admin uploads a few documents and waits for each job. The server's RSS
(its own, and its children's: the PDF parser) is sampled every second. Every non-2xx answer or
exception counts as an error. Everything stays on the loopback interface.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from eval.served import FINISHED, Served
from kb.errors import ConfigError

ROUTES = {"search": "/api/v1/search", "ask": "/api/v1/ask"}


@dataclass(frozen=True)
class LoadConfig:
    """How long, how many clients, how many uploads."""

    duration_s: float = 120.0
    clients: int = 20
    uploads: int = 3
    timeout_s: float = 120.0  # one request's limit: past it, the request counts as an error
    seed: int = 8


@dataclass
class Recorder:
    """What the threads observed, appended under one lock."""

    began: float = field(default_factory=time.monotonic)
    requests: list[tuple[float, str, float, str]] = field(default_factory=list)  # t, route, s, ok
    memory: list[tuple[float, float, float]] = field(default_factory=list)  # t, server MB, kids MB
    uploads: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        """Seconds since the run began."""
        return time.monotonic() - self.began

    def add(self, at: float, route: str, seconds: float, outcome: str) -> None:
        """One request: when it started, its route, how long it took, "ok" or what went wrong."""
        with self.lock:
            self.requests.append((round(at, 3), route, seconds, outcome))


def _client(
    url: str, questions: Sequence[str], recorder: Recorder, stop: float, seed: int, timeout: float
) -> None:
    rng = random.Random(seed)
    turn = seed % 2
    with httpx.Client(base_url=url, timeout=timeout) as client:
        while time.monotonic() < stop:
            route = ("search", "ask")[turn % 2]
            turn += 1
            text = rng.choice(questions)
            body = {"query": text} if route == "search" else {"question": text}
            at, began = recorder.now(), time.perf_counter()
            try:
                response = client.post(ROUTES[route], json=body)
                outcome = (
                    "ok" if response.is_success else f"{response.status_code} {response.text[:200]}"
                )
            except httpx.HTTPError as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            recorder.add(at, route, time.perf_counter() - began, outcome)


def _admin(
    served: Served,
    key: str,
    documents: Sequence[tuple[str, bytes]],
    recorder: Recorder,
    stop: float,
) -> None:
    """Upload each document at an even spacing over the run and wait for its job."""
    spacing = (stop - time.monotonic()) / (len(documents) + 1)
    headers = {"X-API-Key": key}
    with httpx.Client(base_url=served.url, timeout=120.0, headers=headers) as client:
        for n, (name, data) in enumerate(documents, start=1):
            time.sleep(max(0.0, recorder.began + spacing * n - time.monotonic()))
            at = recorder.now()
            response = client.post("/api/v1/documents", files=[("files", (name, data))])
            entry: dict[str, Any] = {
                "name": name,
                "at_s": round(at, 1),
                "status": response.status_code,
            }
            if response.status_code == 202:
                entry.update(_follow(client, response.json()["job_id"], stop + 300))
                entry["doc_id"] = response.json()["doc_ids"][0]
            entry["seconds"] = round(recorder.now() - at, 2)
            with recorder.lock:
                recorder.uploads.append(entry)


def _follow(client: httpx.Client, job_id: str, deadline: float) -> dict[str, Any]:
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in FINISHED:
            return {"job": job["status"], "error": job["error"]}
        time.sleep(0.5)
    return {"job": "unfinished", "error": "the job did not finish in time"}


def _sample(pid: int, recorder: Recorder, stop: threading.Event) -> None:
    try:
        import psutil
    except ImportError as exc:
        raise ConfigError(
            "the load benchmark samples memory with psutil: pip install psutil==7.2.2"
        ) from exc
    process = psutil.Process(pid)
    while not stop.is_set():
        try:
            own = process.memory_info().rss
            kids = sum(c.memory_info().rss for c in process.children(recursive=True))
        except psutil.Error:
            break
        with recorder.lock:
            recorder.memory.append((round(recorder.now(), 2), own / 2**20, kids / 2**20))
        stop.wait(1.0)


def run_load(
    served: Served,
    key: str,
    questions: Sequence[str],
    documents: Sequence[tuple[str, bytes]],
    config: LoadConfig,
) -> Recorder:
    """Run the clients, the admin and the memory sampler; return what they observed."""
    recorder = Recorder()
    stop = recorder.began + config.duration_s
    sampling = threading.Event()
    sampler = threading.Thread(target=_sample, args=(served.pid, recorder, sampling), daemon=True)
    sampler.start()
    workers = [
        threading.Thread(
            target=_client,
            args=(served.url, questions, recorder, stop, config.seed + n, config.timeout_s),
        )
        for n in range(config.clients)
    ]
    workers.append(threading.Thread(target=_admin, args=(served, key, documents, recorder, stop)))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    sampling.set()
    sampler.join(timeout=5)
    return recorder
