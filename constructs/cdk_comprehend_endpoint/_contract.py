"""The handler's contract module (``comprehend_cr/contract.py``), loaded by the construct from the handler's own file.

The construct checks at synth exactly what the handler checks at deploy: the patterns, limits, reserved tag
keys and property names are defined once, in the handler package, and this module loads that very file
(from ``_bundling.handler_source_dir()``: ``_handler/`` in the wheel, ``lambda/`` in a source checkout), once
per process. The contract imports the standard library only, so loading it needs none of the handler's
dependencies, and it is not registered as ``comprehend_cr`` (the name stays free for the handler itself).

Use it as ``from cdk_comprehend_endpoint._contract import contract``.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING

from cdk_comprehend_endpoint._bundling import handler_source_dir

MODULE_NAME = "cdk_comprehend_endpoint._handler_contract"
"""The name the loaded module is registered under in ``sys.modules``."""


def contract_path() -> str:
    """The contract file the construct loads."""
    return str(handler_source_dir() / "comprehend_cr" / "contract.py")


def _load() -> ModuleType:
    loaded = sys.modules.get(MODULE_NAME)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(MODULE_NAME, contract_path())
    if spec is None or spec.loader is None:  # pragma: no cover - the handler ships with the package
        raise ModuleNotFoundError(f"the handler's contract is missing at {contract_path()}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:  # mypy reads the handler's source (``mypy_path`` has ``lambda``)
    from comprehend_cr import contract
else:
    contract = _load()

__all__ = ["contract", "contract_path"]
