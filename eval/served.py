"""A real `portwise serve` in a child process on a free loopback port (load benchmark, crash tests)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kb.chroma_server import free_port
from kb.errors import PortwiseError

FINISHED = ("done", "failed", "interrupted")


class ServeError(PortwiseError):
    """The server process did not come up, or a job did not finish in time."""

    status = 503


@dataclass(frozen=True)
class Served:
    """A running server: its base URL, its process and the file its output goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid


def scratch_env(root: Path, key: str, **extra: str) -> dict[str, str]:
    """Environment for a server over `root/lib` with its store and data under `root`."""
    return {
        **os.environ,
        "PORTWISE_STORE__PATH": str(root / "store"),
        "PORTWISE_LIBRARY__ROOT": str(root / "lib"),
        "PORTWISE_SERVER__DATA_DIR": str(root / "data"),
        "PORTWISE_SERVER__API_KEYS": json.dumps([key]),
        "PORTWISE_ANSWER__BACKEND": "extractive",
        **extra,
    }


def start(env: Mapping[str, str], log: Path, ready_s: float = 180.0, ui: bool = False) -> Served:
    """Start `portwise -v serve` (API only unless `ui`) on a free loopback port; return once ready."""
    port = free_port()
    command = [sys.executable, "-m", "portwise", "-v", "serve", *([] if ui else ["--no-ui"])]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(command, env=dict(env), stdout=output, stderr=subprocess.STDOUT)
    server = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(server, time.monotonic() + ready_s)
    except BaseException:
        stop(server)
        raise
    return server


def _wait_ready(server: Served, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise ServeError(f"the server exited with {server.process.returncode}:\n{tail}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise ServeError(f"the server at {server.url} was not ready in time; see {server.log}")


def stop(server: Served, timeout: float = 30.0) -> None:
    """Ask the server to shut down (SIGTERM); kill it if it has not within `timeout`."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def served(
    env: Mapping[str, str], log: Path, ready_s: float = 180.0, ui: bool = False
) -> Iterator[Served]:
    """A ready server for the `with` block, stopped after it."""
    server = start(env, log, ready_s, ui)
    try:
        yield server
    finally:
        stop(server)


def wait_for_job(
    client: httpx.Client, job_id: str, key: str, timeout: float = 120.0
) -> dict[str, Any]:
    """Poll an ingest job until it is done, failed or interrupted."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(
            f"/api/v1/jobs/{job_id}", headers={"X-API-Key": key}
        ).json()
        if job["status"] in FINISHED:
            return job
        time.sleep(0.2)
    raise ServeError(f"job {job_id} did not finish in {timeout:.0f} s")
