"""The load benchmark's figures: errors, latency percentiles and throughput per route, memory, a chart."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from eval.load import LoadConfig, Recorder


def _route_figures(rows: list[tuple[float, str, float, str]], duration: float) -> dict[str, Any]:
    ok = np.array([seconds for _, _, seconds, outcome in rows if outcome == "ok"]) * 1000

    def percentile(q: float) -> float | None:
        return round(float(np.percentile(ok, q)), 1) if ok.size else None

    return {
        "requests": len(rows),
        "errors": sum(1 for row in rows if row[3] != "ok"),
        "p50_ms": percentile(50),
        "p95_ms": percentile(95),
        "p99_ms": percentile(99),
        "max_ms": round(float(ok.max()), 1) if ok.size else None,
        "throughput_rps": round(ok.size / duration, 2),
    }


def summarize(recorder: Recorder, config: LoadConfig, about: dict[str, Any]) -> dict[str, Any]:
    """The report: per-route figures, errors (with samples), uploads, and RSS over time."""
    duration = max(recorder.now(), 1e-9)
    rows = recorder.requests
    routes = {
        route: _route_figures([r for r in rows if r[1] == route], duration)
        for route in sorted({r[1] for r in rows})
    }
    failed_uploads = [u for u in recorder.uploads if u["status"] != 202 or u.get("job") != "done"]
    errors = sum(r["errors"] for r in routes.values()) + len(failed_uploads)
    memory = recorder.memory
    server = [mb for _, mb, _ in memory]
    return {
        "config": asdict(config),
        **about,
        "seconds": round(duration, 1),
        "errors": errors,
        "error_samples": sorted({r[3] for r in rows if r[3] != "ok"})[:10],
        "throughput_rps": round(sum(r[3] == "ok" for r in rows) / duration, 2),
        "routes": routes,
        "uploads": recorder.uploads,
        "rss_mb": {
            "start": round(server[0], 1) if server else None,
            "peak": round(max(server), 1) if server else None,
            "end": round(server[-1], 1) if server else None,
            "children_peak": round(max(k for _, _, k in memory), 1) if memory else None,
            "samples": [[t, round(mb, 1), round(kids, 1)] for t, mb, kids in memory],
        },
    }


def write_report(report: dict[str, Any], recorder: Recorder, results: Path) -> tuple[Path, Path]:
    """`load.json` and `load.png` (latency and RSS over time) in `results`."""
    results.mkdir(parents=True, exist_ok=True)
    target = results / "load.json"
    target.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return target, _chart(recorder, results / "load.png")


def _chart(recorder: Recorder, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for route, colour in (("search", "tab:blue"), ("ask", "tab:orange")):
        points = [
            (t, s * 1000)
            for t, r, s, outcome in recorder.requests
            if r == route and outcome == "ok"
        ]
        if points:
            top.scatter(*zip(*points, strict=True), s=4, alpha=0.35, color=colour, label=route)
    failed = [(t, s * 1000) for t, _, s, outcome in recorder.requests if outcome != "ok"]
    if failed:
        top.scatter(*zip(*failed, strict=True), s=16, marker="x", color="red", label="error")
    top.set_yscale("log")
    top.set_ylabel("latency (ms)")
    top.legend(loc="upper right")
    if recorder.memory:
        times = [t for t, _, _ in recorder.memory]
        bottom.plot(times, [mb for _, mb, _ in recorder.memory], label="server RSS")
        bottom.plot(times, [mb + k for _, mb, k in recorder.memory], label="with child processes")
    for upload in recorder.uploads:
        for axis in (top, bottom):
            axis.axvline(upload["at_s"], color="grey", linestyle=":", linewidth=1)
    bottom.set_ylabel("memory (MB)")
    bottom.set_xlabel("seconds (dotted lines: uploads)")
    bottom.legend(loc="lower right")
    figure.suptitle("portwise serve under load")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def report_lines(report: dict[str, Any]) -> list[str]:
    """The figures as a few printable lines."""
    rss = report["rss_mb"]
    lines = [
        f"{report['config']['clients']} clients for {report['seconds']} s: "
        f"{report['errors']} errors, {report['throughput_rps']} requests/s",
    ]
    for route, figures in report["routes"].items():
        lines.append(
            f"{route:>7}: {figures['requests']} requests, {figures['errors']} errors, "
            f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
            f"{figures['throughput_rps']} requests/s"
        )
    for upload in report["uploads"]:
        lines.append(
            f" upload: {upload['name']} at {upload['at_s']} s -> {upload.get('job')} in {upload['seconds']} s"
        )
    lines.append(f"    RSS: start {rss['start']} MB, peak {rss['peak']} MB, end {rss['end']} MB")
    return lines
