"""The parser process: risky parsing runs in a child process with a time limit and a memory cap.

The parent sends `(function, args)` (a module-level function, pickled by name); the child
(`python -m ingest.worker`) runs it and sends back its result or the exception it raised. One child
serves every call of an ingest. A call that runs past its time limit gets the child and anything it
started (Tesseract) killed; a call that needs more memory than the cap fails inside the child with
MemoryError or kills it. Either way the parent gets a `WorkerError` saying which, and the next call
starts a fresh child. When the parent dies, the child sees its pipe close and exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")
START_TIMEOUT_S = 60.0  # a cold Python start on a busy machine


class WorkerError(Exception):
    """A call did not finish: `kind` is "timeout", "memory" or "crash"."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind} ({detail})" if detail else kind)
        self.kind = kind
        self.detail = detail


class Worker:
    """One reusable child process that runs calls under a time limit and a memory cap."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.starts = 0  # how many children were started (a fresh one after each kill)
        self._process: subprocess.Popen[bytes] | None = None
        self._to_child: Connection | None = None
        self._from_child: Connection | None = None

    def call(self, func: Callable[..., T], *args: Any, timeout: float) -> T:
        """Run `func(*args)` in the child; its exceptions are raised here as they were raised there.

        Raises:
            WorkerError: the call ran past `timeout` seconds, ran out of memory, or killed the child.
        """
        to_child, from_child = self._connections()
        try:
            to_child.send((func, args))
            ready = from_child.poll(timeout)
        except (OSError, EOFError) as exc:
            raise self._died() from exc
        if not ready:
            self.close()
            raise WorkerError("timeout", f"{timeout:g} s")
        try:
            status, value = from_child.recv()
        except (OSError, EOFError) as exc:
            raise self._died() from exc
        if status == "memory":
            self.close()  # a heap that hit the cap is not worth keeping
            raise WorkerError("memory", f"{self.memory_mb} MB")
        if status == "error":
            raise value
        return value  # type: ignore[no-any-return]

    def close(self) -> None:
        """Kill the child and everything it started; the next call starts a fresh one."""
        process, self._process = self._process, None
        for connection in (self._to_child, self._from_child):
            if connection is not None:
                connection.close()
        self._to_child = self._from_child = None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connections(self) -> tuple[Connection, Connection]:
        if self._process is None or self._process.poll() is not None:
            self.close()
            self._start()
        assert self._to_child is not None
        assert self._from_child is not None
        return self._to_child, self._from_child

    def _start(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        root = str(Path(__file__).resolve().parents[1])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
            "OMP_THREAD_LIMIT": "1",  # Tesseract: one thread per page is fastest on a shared CPU
        }
        command = [sys.executable, "-m", "ingest.worker"]
        command += [str(to_child_r), str(from_child_w), str(self.memory_mb)]
        self._process = subprocess.Popen(
            command,
            pass_fds=(to_child_r, from_child_w),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None if logger.isEnabledFor(logging.DEBUG) else subprocess.DEVNULL,
            start_new_session=True,  # its own process group: a kill takes Tesseract along
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._to_child = Connection(to_child_w, readable=False)
        self._from_child = Connection(from_child_r, writable=False)
        self.starts += 1
        if not self._from_child.poll(START_TIMEOUT_S):
            self.close()
            raise WorkerError("crash", f"the parser process did not start in {START_TIMEOUT_S:g} s")
        logger.debug("parser process %d ready: %s", self._process.pid, self._from_child.recv())

    def _died(self) -> WorkerError:
        process = self._process
        code = process.wait() if process is not None else None
        self.close()
        if code is not None and code < 0:
            return WorkerError("crash", f"killed by {signal.Signals(-code).name}")
        return WorkerError("crash", f"exit status {code}")


# -- the child ---------------------------------------------------------------------------------
def _serve(from_parent: Connection, to_parent: Connection) -> None:
    to_parent.send("ready")
    while True:
        try:
            message = from_parent.recv_bytes()
        except (EOFError, OSError):
            return  # the parent is gone
        to_parent.send(_run(message))


def _run(message: bytes) -> tuple[str, Any]:
    """Unpickle and run one call; any exception travels back to the parent as data."""
    try:
        func, args = pickle.loads(message)
        return ("ok", func(*args))
    except MemoryError:
        return ("memory", None)
    except Exception as exc:  # noqa: BLE001 - the process boundary: the parent decides what it means
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001 - an exception that cannot travel is described instead
            return ("error", RuntimeError(f"{type(exc).__name__}: {exc}"))
        return ("error", exc)


def main(argv: list[str]) -> None:
    """Entry point of the child: apply the memory cap, then serve calls until the parent goes."""
    import resource

    read_fd, write_fd, memory_mb = (int(arg) for arg in argv)
    cap = memory_mb * 2**20
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    _serve(Connection(read_fd, writable=False), Connection(write_fd, readable=False))


if __name__ == "__main__":
    main(sys.argv[1:])
