"""The handler's import time on a cold interpreter beside a bare ``import boto3``, and the asset size."""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from cdk_comprehend_endpoint import _bundling

PROBE = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - t)"
)


def _median_import(module: str, path: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(module=module), path], check=True, capture_output=True, text=True
        ).stdout
        times.append(float(out.strip().splitlines()[-1]))
    return statistics.median(times)


def run(repeats: int = 7) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as asset:
        _bundling.bundle_into(asset)
        files = [p for p in Path(asset).rglob("*") if p.is_file()]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(files):
                archive.write(path, path.relative_to(asset).as_posix())
        boto3_s = _median_import("boto3", asset, repeats)
        handler_s = _median_import("index", asset, repeats)
        return {
            "boto3_s": boto3_s,
            "handler_s": handler_s,
            "files": float(len(files)),
            "bytes": float(sum(p.stat().st_size for p in files)),
            "zip_bytes": float(len(buffer.getvalue())),
        }


def report(figures: dict[str, float]) -> list[str]:
    return [
        "| measure | value |",
        "| --- | ---: |",
        f"| bare `import boto3` (median of 7 cold interpreters) | {figures['boto3_s'] * 1000:.0f} ms |",
        f"| `import index` (the handler: boto3 + crhelper + comprehend_cr) | {figures['handler_s'] * 1000:.0f} ms |",
        f"| handler's own import cost | {(figures['handler_s'] - figures['boto3_s']) * 1000:.0f} ms |",
        f"| asset | {figures['files']:.0f} files, {figures['bytes'] / 1024:.1f} KiB, "
        f"{figures['zip_bytes'] / 1024:.1f} KiB zipped |",
    ]
