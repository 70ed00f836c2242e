"""The mutation run's cached handler policy (tools/mutate.py, tests/lifecycle/conftest.py): it may spare a
mutant a synth only when the mutant cannot change the policy, and a cache made from other code is never read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lifecycle import conftest as lifecycle
from tools import mutate


@pytest.mark.parametrize(
    ("mutant", "applies"),
    [
        ("comprehend_cr.engine.xǁEngineǁ_drive__mutmut_3", True),
        ("comprehend_cr.sweep.x_strays__mutmut_1", True),
        ("comprehend_cr.contract.x_reserved__mutmut_2", False),
        ("cdk_comprehend_endpoint._provider.xǁEndpointProviderǁallow_create__mutmut_1", False),
        ("stats", False),
        ("", False),
    ],
)
def test_only_a_handler_mutant_outside_the_contract_reads_the_cached_policy(monkeypatch, mutant, applies):
    # GIVEN a mutation run (the cache is named) with this mutant under test
    monkeypatch.setenv(lifecycle.POLICY_CACHE, "build/mutation/handler-policies.json")
    monkeypatch.setenv("MUTANT_UNDER_TEST", mutant)
    # WHEN the fixture asks whether the cached policy stands for this mutant's
    # THEN only a handler module the construct never loads may use it
    assert lifecycle._cached_policy_applies() is applies


def test_outside_a_mutation_run_the_policy_is_always_synthesized(monkeypatch):
    # GIVEN a handler mutant's name but no cache named (a plain pytest run)
    monkeypatch.delenv(lifecycle.POLICY_CACHE, raising=False)
    monkeypatch.setenv("MUTANT_UNDER_TEST", "comprehend_cr.engine.xǁEngineǁ_drive__mutmut_3")
    # THEN the cache is not used
    assert lifecycle._cached_policy_applies() is False


def _tree(root: Path) -> dict[str, Path]:
    files = {
        "construct": root / "constructs" / "cdk_comprehend_endpoint" / "_provider.py",
        "contract": root / "lambda" / "comprehend_cr" / "contract.py",
        "fixture": root / "tests" / "lifecycle" / "conftest.py",
        "handler": root / "lambda" / "comprehend_cr" / "engine.py",
    }
    for name, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n")
    return files


@pytest.mark.parametrize(("changed", "renamed"), [("construct", True), ("contract", True), ("fixture", True)])
def test_the_cache_is_named_after_what_the_policy_is_made_from(tmp_path, monkeypatch, changed, renamed):
    # GIVEN a checkout and the cache name its sources give
    files = _tree(tmp_path)
    monkeypatch.setattr(mutate, "ROOT", tmp_path)
    monkeypatch.setattr(mutate, "STAGE", tmp_path / "build" / "mutation")
    before = mutate.policy_cache()
    # WHEN one of the policy's sources changes
    files[changed].write_text("# changed\n")
    # THEN the name changes, so the old cache is never read
    assert (mutate.policy_cache() != before) is renamed
    assert before.parent == tmp_path / "build" / "mutation"


def test_a_change_to_another_handler_module_keeps_the_cache(tmp_path, monkeypatch):
    # GIVEN a checkout and its cache name
    files = _tree(tmp_path)
    monkeypatch.setattr(mutate, "ROOT", tmp_path)
    monkeypatch.setattr(mutate, "STAGE", tmp_path / "build" / "mutation")
    before = mutate.policy_cache()
    # WHEN a handler module the construct never loads changes
    files["handler"].write_text("# changed\n")
    # THEN the same cache serves
    assert mutate.policy_cache() == before
