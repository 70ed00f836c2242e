"""The handler's Lambda asset, built locally (no Docker) and deterministically.

The asset holds the handler from ``lambda/`` (shipped in the wheel as ``_handler/``) and the
crhelper package installed next to this library, so the function imports on a Lambda runtime that
only has boto3. Its hash is computed from exactly the files copied, so two synths of the same
inputs give the same asset hash, and a new crhelper or handler gives a new one.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

_PACKAGE_DIR = Path(__file__).resolve().parent


def handler_source_dir() -> Path:
    """The handler's source: ``_handler/`` inside an installed wheel, ``lambda/`` in a source checkout.

    Resolved from this file's location, never from the current directory.
    """
    for candidate in (_PACKAGE_DIR / "_handler", _PACKAGE_DIR.parent.parent / "lambda"):
        if (candidate / "index.py").is_file():
            return candidate
    raise FileNotFoundError(f"the Comprehend endpoint handler is missing next to {_PACKAGE_DIR}")


def _crhelper_dir() -> Path:
    spec = importlib.util.find_spec("crhelper")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("crhelper must be installed to bundle the Comprehend endpoint handler")
    return Path(next(iter(spec.submodule_search_locations)))


def asset_files() -> dict[str, Path]:
    """Asset-relative path -> source file, for every file that goes into the asset."""
    files: dict[str, Path] = {}
    for root, prefix in ((handler_source_dir(), ""), (_crhelper_dir(), "crhelper/")):
        for path in sorted(root.rglob("*.py")):
            relative = path.relative_to(root)
            if "__pycache__" in relative.parts or relative.parts[0] in {"tests", "build"}:
                continue
            files[prefix + relative.as_posix()] = path
    return files


@functools.cache
def asset_hash() -> str:
    """SHA-256 over the asset's file names and contents, in a fixed order."""
    digest = hashlib.sha256()
    for name, path in sorted(asset_files().items()):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def bundle_into(output_dir: str | Path) -> None:
    """Copy the asset's files into ``output_dir``."""
    out = Path(output_dir)
    for name, path in asset_files().items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


@jsii.implements(cdk.ILocalBundling)
class _LocalBundler:
    """Bundles in-process; CDK never falls back to Docker because this always succeeds or raises."""

    def try_bundle(self, output_dir: str, _options: Any = None, **_kwargs: Any) -> bool:
        bundle_into(output_dir)
        return True


def bundling_options() -> cdk.BundlingOptions:
    """Bundling that runs locally; the image is required by the API but never pulled or run."""
    return cdk.BundlingOptions(image=cdk.DockerImage.from_registry("local-bundling-only"), local=_LocalBundler())
