"""Synth tier (tooling): tools/mutate.py's own promises. The cached handler policy (with
tests/lifecycle/conftest.py) spares a mutant a synth only when the mutant cannot change the policy, and a cache
made from other code is never read. The committed results carry exactly mutmut's decided verdicts, with the
function hashes mutmut checks them against."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.lifecycle import conftest as lifecycle
from tools import mutate


@pytest.mark.parametrize(
    ("mutant", "reads", "writes"),
    [
        ("comprehend_cr.engine.xǁEngineǁ_drive__mutmut_3", True, False),
        ("comprehend_cr.sweep.x_strays__mutmut_1", True, False),
        ("comprehend_cr.contract.x_reserved__mutmut_2", False, False),
        ("cdk_comprehend_endpoint._provider.xǁEndpointProviderǁallow_create__mutmut_1", False, False),
        ("stats", False, True),
        ("", False, True),
    ],
)
def test_only_a_handler_mutant_outside_the_contract_reads_the_cached_policy_and_only_unmutated_code_writes_it(
    monkeypatch, mutant, reads, writes
):
    # GIVEN a mutation run (the cache is named) with this mutant under test, or none (the recording run)
    monkeypatch.setenv(lifecycle.POLICY_CACHE, "build/mutation/handler-policies.json")
    monkeypatch.setenv("MUTANT_UNDER_TEST", mutant)
    # WHEN the fixture asks whether the cached policy stands for this run's, and whether to keep this run's
    # THEN only a handler module the construct never loads may use it, and only unmutated code writes it
    # (a mutant's policy would stand for every later mutant)
    assert (lifecycle._cached_policy_applies(), lifecycle._writes_policy_cache()) == (reads, writes)


def test_outside_a_mutation_run_the_policy_is_always_synthesized_and_never_cached(monkeypatch):
    # GIVEN a handler mutant's name but no cache named (a plain pytest run)
    monkeypatch.delenv(lifecycle.POLICY_CACHE, raising=False)
    monkeypatch.setenv("MUTANT_UNDER_TEST", "comprehend_cr.engine.xǁEngineǁ_drive__mutmut_3")
    # THEN the cache is neither read nor written
    assert (lifecycle._cached_policy_applies(), lifecycle._writes_policy_cache()) == (False, False)


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


def _meta(stage: Path, relative: str, codes: dict[str, int | None], hashes: dict[str, str]) -> Path:
    meta = stage / "mutants" / f"{relative}.meta"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(
        json.dumps(
            {
                "exit_code_by_key": codes,
                "hash_by_function_name": hashes,
                "type_check_error_by_key": {},
                "durations_by_key": {},
                "estimated_durations_by_key": {},
            }
        )
    )
    return meta


def test_decided_results_survive_the_stage_and_are_given_back_to_mutmut(tmp_path, monkeypatch):
    # GIVEN a run that decided two mutants of engine.py (killed, survived) and not a third, and none of arns.py
    stage, state = tmp_path / "build" / "mutation", tmp_path / "mutation-state.json"
    monkeypatch.setattr(mutate, "STAGE", stage)
    monkeypatch.setattr(mutate, "STATE", state)
    codes = {"comprehend_cr.engine.x_a__mutmut_1": 1, "comprehend_cr.engine.x_a__mutmut_2": 0}
    _meta(stage, "src/comprehend_cr/engine.py", {**codes, "comprehend_cr.engine.x_b__mutmut_1": None}, {"x_a": "h1"})
    _meta(stage, "src/comprehend_cr/arns.py", {"comprehend_cr.arns.x_c__mutmut_1": None}, {"x_c": "h2"})
    # WHEN the results are saved, the stage is lost (a new checkout) and a resumed run seeds it
    assert mutate.save_state() == 2
    (stage / "mutants" / "src" / "comprehend_cr" / "engine.py.meta").unlink()
    (stage / "mutants" / "src" / "comprehend_cr" / "arns.py.meta").unlink()
    assert mutate.seed_state() == 2
    # THEN mutmut finds the decided verdicts with the hash of their function, and nothing undecided is claimed
    seeded = json.loads((stage / "mutants" / "src" / "comprehend_cr" / "engine.py.meta").read_text())
    assert seeded["exit_code_by_key"] == codes
    assert seeded["hash_by_function_name"] == {"x_a": "h1"}
    assert not (stage / "mutants" / "src" / "comprehend_cr" / "arns.py.meta").exists()


def test_results_of_the_stage_itself_are_never_overwritten_by_older_ones(tmp_path, monkeypatch):
    # GIVEN committed results, and a stage whose own run already decided the same mutant otherwise
    stage, state = tmp_path / "build" / "mutation", tmp_path / "mutation-state.json"
    monkeypatch.setattr(mutate, "STAGE", stage)
    monkeypatch.setattr(mutate, "STATE", state)
    meta = _meta(stage, "src/comprehend_cr/engine.py", {"comprehend_cr.engine.x_a__mutmut_1": 0}, {"x_a": "h1"})
    mutate.save_state()
    meta.write_text(meta.read_text().replace(": 0}", ": 1}", 1))
    # WHEN a resumed run seeds the stage
    # THEN nothing is seeded, and the stage's own verdict stands
    assert mutate.seed_state() == 0
    assert json.loads(meta.read_text())["exit_code_by_key"] == {"comprehend_cr.engine.x_a__mutmut_1": 1}


def test_saving_keeps_committed_results_of_unchanged_functions_and_drops_those_of_changed_ones(tmp_path, monkeypatch):
    # GIVEN committed verdicts for two functions of engine.py
    stage, state = tmp_path / "build" / "mutation", tmp_path / "mutation-state.json"
    monkeypatch.setattr(mutate, "STAGE", stage)
    monkeypatch.setattr(mutate, "STATE", state)
    kept, dropped, new = (
        "comprehend_cr.engine.xǁEngineǁ_drive__mutmut_1",
        "comprehend_cr.engine.x_b__mutmut_1",
        "comprehend_cr.engine.x_b__mutmut_2",
    )
    _meta(stage, "src/comprehend_cr/engine.py", {kept: 1, dropped: 0}, {"xǁEngineǁ_drive": "h1", "x_b": "h2"})
    assert mutate.save_state() == 2
    # WHEN a later run, where x_b changed and nothing of _drive was decided (stopped, or reset by mutmut), is saved
    _meta(stage, "src/comprehend_cr/engine.py", {kept: None, new: 1}, {"xǁEngineǁ_drive": "h1", "x_b": "h3"})
    assert mutate.save_state() == 2
    # THEN _drive's verdict is still there, x_b's old one is gone, and the new verdict joined
    saved = json.loads(state.read_text())["src/comprehend_cr/engine.py"]
    assert saved["exit_code_by_key"] == {kept: 1, new: 1}
    assert saved["hash_by_function_name"] == {"xǁEngineǁ_drive": "h1", "x_b": "h3"}


def test_a_mutant_is_matched_to_the_function_mutmut_hashes():
    assert mutate.function_of("comprehend_cr.engine.xǁEngineǁ_drive__mutmut_3") == "xǁEngineǁ_drive"
    assert mutate.function_of("cdk_comprehend_endpoint._provider.x__retention_in_days__mutmut_9") == (
        "x__retention_in_days"
    )


def test_the_mutation_run_names_the_cache_under_the_variable_the_fixture_reads():
    # GIVEN the environment tools/mutate.py gives mutmut
    # THEN it names the policy cache under the very variable tests/lifecycle/conftest.py reads
    assert mutate._env()[lifecycle.POLICY_CACHE] == str(mutate.policy_cache())


def test_a_partial_run_counts_the_mutants_it_never_reached_without_showing_each(monkeypatch, capsys):
    # GIVEN a stopped run: one mutant killed, one survivor, two never checked
    statuses = {
        "comprehend_cr.engine.x_a__mutmut_1": "killed",
        "comprehend_cr.engine.x_a__mutmut_2": "survived",
        "comprehend_cr.engine.x_a__mutmut_3": "not checked",
        "comprehend_cr.watch.x_b__mutmut_1": "not checked",
    }
    shown: list[str] = []

    def diff(mutant: str) -> str:
        shown.append(mutant)
        return f"+ mutated {mutant}"

    monkeypatch.setattr(mutate, "diff", diff)
    # WHEN the report is printed
    left = mutate.report(statuses, {}, None)
    # THEN only the survivor is shown, the unchecked ones are counted per module, and the run is not clean
    out = capsys.readouterr().out
    assert shown == ["comprehend_cr.engine.x_a__mutmut_2"]
    assert left == 1
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("comprehend_cr")}
    assert rows["comprehend_cr.engine"] == ["3", "1", "0", "0", "0", "1", "1"]
    assert rows["comprehend_cr.watch"] == ["1", "0", "0", "0", "0", "0", "1"]
    assert "3 left unexplained (2 not checked, 1 survived)" in out


def test_a_run_narrowed_to_some_modules_calls_no_entry_of_another_module_stale(monkeypatch, capsys):
    # GIVEN a run of the engine module only, and equivalents listed for it and for the watch module
    statuses = {"comprehend_cr.engine.x_a__mutmut_1": "killed"}
    equivalents = {
        name: mutate.Equivalent(name, "x = 1")
        for name in ("comprehend_cr.engine.x_a__mutmut_9", "comprehend_cr.watch.x_b__mutmut_2")
    }
    monkeypatch.setattr(mutate, "diff", lambda mutant: "")
    # WHEN the report is printed
    left = mutate.report(statuses, equivalents, None)
    # THEN only the run's own module's missing mutant is a stale entry
    out = capsys.readouterr().out
    assert "comprehend_cr.engine.x_a__mutmut_9: listed as equivalent, but there is no such mutant" in out
    assert "comprehend_cr.watch.x_b__mutmut_2" not in out
    assert left == 1
