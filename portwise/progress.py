"""Rich progress bars over files, embedded chunks and sentence vectors, on the sync's hooks."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.pipeline import FileResult, SyncProgress


class BarProgress(SyncProgress):
    """Three bars: files looked at, chunks embedded, and sentence vectors encoded so far.

    The sentence vectors (the sentence and muse legs') take about as long as the chunks' own
    for the sample library; without their bar an ingest looked stalled for a minute.
    """

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self._bar = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[current]}"),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self._files = self._bar.add_task("files ", total=None, current="")
        self._chunks = self._bar.add_task("chunks", total=None, current="")
        self._vectors = self._bar.add_task("sentences", total=None, current="")

    def __enter__(self) -> BarProgress:
        self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.stop()

    def start(self, files: int) -> None:
        """Set the number of files."""
        self._bar.update(self._files, total=files)

    def file_started(self, path: str) -> None:
        """Show the file being read."""
        self._bar.update(self._files, current=path)

    def chunks_embedded(self, n: int) -> None:
        """Advance the chunk bar."""
        self._bar.advance(self._chunks, n)

    def vectors_encoded(self, n: int) -> None:
        """Advance the sentence-vector bar."""
        self._bar.advance(self._vectors, n)

    def file_done(self, result: FileResult) -> None:  # noqa: ARG002 - the hook passes it
        """Advance the file bar."""
        self._bar.advance(self._files)
