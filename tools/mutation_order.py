"""pytest plugin of ``make mutate`` (loaded with ``-p mutation_order``): a mutant's tests, fastest tier first.

mutmut runs each mutant's tests with ``-x`` (the first failure kills the mutant) in no particular
order. The lifecycle tier starts a jsii kernel and synthesizes the handler's policy before its first
test; a contract test that fails first saves all of that.
"""

from __future__ import annotations

from typing import Any

TIERS = ("tests/unit/", "tests/loopback/", "tests/synth/", "tests/lifecycle/")


def _tier(nodeid: str) -> int:
    return next((index for index, prefix in enumerate(TIERS) if nodeid.startswith(prefix)), len(TIERS))


def pytest_collection_modifyitems(items: list[Any]) -> None:
    items.sort(key=lambda item: _tier(item.nodeid))
