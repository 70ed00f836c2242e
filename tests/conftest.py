"""Shared set-up: the handler's source on sys.path (``lambda`` is a keyword: it is loaded by path)
and jsii on the project's Node 22."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDLER_DIR = ROOT / "lambda"

if str(HANDLER_DIR) not in sys.path:
    sys.path.insert(0, str(HANDLER_DIR))

_NODE22 = ROOT / "node_modules" / ".bin" / "node"
if _NODE22.exists():
    os.environ.setdefault("JSII_NODE", str(_NODE22))
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test`` runs two workers), tests that share a costly session fixture
    stay on one worker: the consumer tier (one wheel build, a few virtual environments), the stack tier
    (its synthesized app versions) and the lifecycle tier (its synthesized handler policy)."""
    import pytest

    for item in items:
        tier = Path(str(item.fspath)).relative_to(ROOT).parts[1]
        if tier in ("consumer", "stack", "lifecycle"):
            item.add_marker(pytest.mark.xdist_group(tier))
