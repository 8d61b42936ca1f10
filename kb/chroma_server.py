"""A local `chroma run` server, started and stopped around a block: for tests, benchmarks and demos."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.errors import ConfigError, StoreError


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_command() -> str:
    """The `chroma` executable installed with chromadb (next to this Python, or on PATH)."""
    beside = Path(sys.executable).with_name("chroma")
    found = str(beside) if beside.is_file() else shutil.which("chroma")
    if not found:
        raise ConfigError("the `chroma` command is missing; reinstall chromadb (`make setup`)")
    return found


@contextmanager
def chroma_server(path: Path, port: int | None = None, timeout_s: float = 60) -> Iterator[str]:
    """Run `chroma run --path PATH` on loopback; yields its URL, stops it on exit."""
    port = port or free_port()
    path.mkdir(parents=True, exist_ok=True)
    command = [chroma_command(), "run", "--path", str(path / "data"), "--host", "127.0.0.1"]
    with (path / "server.log").open("wb") as log:
        process = subprocess.Popen([*command, "--port", str(port)], stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, process, timeout_s, path / "server.log")
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise StoreError(f"the Chroma server did not start at {url}; see {log}") from None
            time.sleep(0.2)
