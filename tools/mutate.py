"""``make mutate``: mutmut 3 over the handler package and the construct's checked modules, on the fast tier.

Usage (from the repository root, after ``make setup``)::

    python tools/mutate.py                     # a fresh run of every mutant, then the report
    python tools/mutate.py 'comprehend_cr.arns.*' ...   # re-test these mutants only, keep the rest
    python tools/mutate.py --report            # the report of the last run, nothing re-run

Why a wrapper. mutmut 3 is configured in ``[tool.mutmut]`` of ``pyproject.toml``, but it names every
mutant after the path of its file (only a leading ``src/`` is dropped) and switches a mutant on only
inside the module of that name; and it puts only ``mutants/``, ``mutants/src`` and
``mutants/source`` on ``sys.path``. This repository has neither layout: the handler's package is
``lambda/comprehend_cr`` (imported as ``comprehend_cr``; ``lambda`` is a keyword and is put on
``sys.path`` by ``tests/conftest.py``), the construct package is ``constructs/cdk_comprehend_endpoint``
(installed editable, so an un-mutated copy is always importable), and the lifecycle tests load the
handler by path, from ``lambda/`` next to the ``comprehend_loopback`` package. So this script stages
the project in ``build/mutation/`` in the ``src/`` layout mutmut understands, and runs mutmut there:

    build/mutation/
      pyproject.toml, app.py, tests/      copies (mutmut copies them on into mutants/)
      mutation-preload.txt, mutation_order.py   from tools/: the fork server's imports, a pytest plugin
      src/comprehend_cr/                  lambda/comprehend_cr            (mutated)
      src/cdk_comprehend_endpoint/        constructs/cdk_comprehend_endpoint (checked modules mutated)
      src/comprehend_loopback/            loopback/comprehend_loopback    (copied, not mutated)
      lambda/index.py                     the entry point (copied, not mutated)
      mutants/lambda/comprehend_cr/*.py   symlinks, one per file, to mutants/src/comprehend_cr/*.py

In ``mutants/`` every copy of the handler is the mutated one: ``tests/conftest.py`` puts
``mutants/lambda`` first on ``sys.path``; the loopback world finds ``lambda/`` two levels above
``src/comprehend_loopback``; the construct (found first in ``mutants/src``, ahead of the editable
install) bundles its asset from that same ``mutants/lambda`` (file symlinks, because the asset's
``rglob`` does not enter a symlinked directory). Mutant names are therefore the import names,
``comprehend_cr.lifecycle.xǁLifecycleǁ_drive__mutmut_3``, as ``mutmut show`` expects.

Each mutant runs only the tests that executed its function in mutmut's first, recording run (the
fast tier in ``pytest_add_cli_args_test_selection``), in a worker forked from a fork server that has
not imported aws-cdk-lib: a forked jsii kernel cannot be shared, so every worker starts its own.

The report then lists, per module, the mutants generated, killed (timeouts included: the tests
noticed), explained as equivalent in ``docs/mutation-equivalents.md`` and the rest: a survivor
without an explanation, a mutant no test reached, or an explanation that no longer matches its
mutant (each entry quotes the mutated line, so renumbered mutants cannot hide behind old entries).
The exit status is 1 when anything is left unexplained.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / "build" / "mutation"
EQUIVALENTS = ROOT / "docs" / "mutation-equivalents.md"
STATE = ROOT / "tools" / "mutation-state.json"
"""The results of the last runs, committed: ``--resume`` starts from them (see :func:`seed_state`)."""

TREES = {
    "src/comprehend_cr": ROOT / "lambda" / "comprehend_cr",
    "src/cdk_comprehend_endpoint": ROOT / "constructs" / "cdk_comprehend_endpoint",
    "src/comprehend_loopback": ROOT / "loopback" / "comprehend_loopback",
    "tests": ROOT / "tests",
}
FILES = {
    "pyproject.toml": ROOT / "pyproject.toml",
    "app.py": ROOT / "app.py",
    "cdk.json": ROOT / "cdk.json",
    "lambda/index.py": ROOT / "lambda" / "index.py",
    "mutation-preload.txt": ROOT / "tools" / "mutation-preload.txt",
    "mutation_order.py": ROOT / "tools" / "mutation_order.py",
}
HANDLER_PACKAGE = "comprehend_cr"
"""Imported by the tests and the loopback world from ``mutants/lambda/``: linked to the mutated files."""

# Statuses as ``mutmut results --all true`` prints them: these count as killed (the checks noticed).
KILLED = {"killed": "killed", "caught by type check": "by mypy", "timeout": "timeout", "segfault": "killed"}
SURVIVED = "survived"
UNCHECKED = "not checked"


def _ignored(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix == ".pyc" or ".hypothesis" in path.parts


def _sync_tree(source: Path, target: Path) -> None:
    """Make ``target`` a copy of ``source`` (mtimes kept, so mutmut only regenerates changed files)."""
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file() and not _ignored(p)}
    if target.exists():
        for existing in sorted(target.rglob("*"), reverse=True):
            relative = existing.relative_to(target)
            if existing.is_file() and relative not in wanted:
                existing.unlink()
            elif existing.is_dir() and not any(existing.iterdir()):
                existing.rmdir()
    for relative in sorted(wanted):
        _sync_file(source / relative, target / relative)


def _sync_file(source: Path, target: Path) -> None:
    same_time = target.exists() and target.stat().st_mtime == source.stat().st_mtime
    if same_time and target.read_bytes() == source.read_bytes():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def stage(fresh: bool) -> None:
    """Copy the project into ``STAGE`` in the layout described in the module doc."""
    if fresh and (STAGE / "mutants").exists():
        shutil.rmtree(STAGE / "mutants")
    for relative, source in TREES.items():
        _sync_tree(source, STAGE / relative)
    for relative, source in FILES.items():
        _sync_file(source, STAGE / relative)
    if (STAGE / "mutants" / "tests").exists():  # mutmut copies the tests in, but never removes one
        _sync_tree(TREES["tests"], STAGE / "mutants" / "tests")
    linked = STAGE / "mutants" / "lambda" / HANDLER_PACKAGE
    if linked.exists():
        shutil.rmtree(linked)
    linked.mkdir(parents=True)
    for module in sorted((STAGE / "src" / HANDLER_PACKAGE).glob("*.py")):
        (linked / module.name).symlink_to(Path("..", "..", "src", HANDLER_PACKAGE, module.name))


def narrow(modules: list[str], tests: list[str]) -> None:
    """Rewrite the staged ``pyproject.toml`` only (never the repository's): mutate only ``modules`` (file globs
    under ``src/``, e.g. ``comprehend_cr/watch.py``) and run only ``tests`` (pytest paths). A quick first pass:
    the survivors of a run on ``tests/unit`` are then re-run with the whole fast tier (see docs/mutation.md)."""
    staged = STAGE / "pyproject.toml"
    text = staged.read_text()
    if modules:
        listed = ", ".join(f'"src/{m}"' for m in modules)
        text, count = re.subn(r"(?ms)^only_mutate = \[.*?^\]", f"only_mutate = [{listed}]", text)
        assert count == 1, "only_mutate not found in pyproject.toml"
    if tests:
        listed = ", ".join(f'"{t}"' for t in [*tests, "-m", "not slow"])
        text, count = re.subn(
            r"(?ms)^pytest_add_cli_args_test_selection = \[.*?^\]",
            f"pytest_add_cli_args_test_selection = [{listed}]",
            text,
        )
        assert count == 1, "pytest_add_cli_args_test_selection not found in pyproject.toml"
    staged.write_text(text)


def save_state() -> int:
    """Merge the decided results of ``STAGE/mutants`` into ``STATE``; returns how many results it holds then.

    A result decided on the stage replaces the committed one. A committed result stays while the hash of its
    function's source is the stage's (or while its file is not on the stage): a run that was stopped, narrowed
    to some modules, or had mutmut reset its results (a changed test selection) loses nothing that still holds.
    Run after each run, and on its own (``--save-state``) for a run that was stopped."""
    carried: dict[str, dict[str, dict[str, Any]]] = json.loads(STATE.read_text()) if STATE.exists() else {}
    for meta in sorted((STAGE / "mutants").glob("src/**/*.py.meta")):
        data = _read_meta(meta)
        relative = meta.relative_to(STAGE / "mutants").as_posix().removesuffix(".meta")
        hashes: dict[str, str] = data["hash_by_function_name"]
        before = carried.get(relative, {"hash_by_function_name": {}, "exit_code_by_key": {}})
        codes = {
            key: code
            for key, code in before["exit_code_by_key"].items()
            if hashes.get(function_of(key)) == before["hash_by_function_name"].get(function_of(key)) is not None
        }
        codes |= {key: code for key, code in data["exit_code_by_key"].items() if code is not None}
        carried[relative] = {"hash_by_function_name": dict(sorted(hashes.items())), "exit_code_by_key": codes}
    kept = {relative: entry for relative, entry in sorted(carried.items()) if entry["exit_code_by_key"]}
    for entry in kept.values():
        entry["exit_code_by_key"] = dict(sorted(entry["exit_code_by_key"].items()))
    STATE.write_text(json.dumps(kept, indent=1) + "\n")
    return sum(len(entry["exit_code_by_key"]) for entry in kept.values())


def _read_meta(meta: Path) -> dict[str, Any]:
    """A ``.meta`` file, read again while a running mutmut is rewriting it (``--save-state`` during a run)."""
    for _ in range(20):
        try:
            data: dict[str, Any] = json.loads(meta.read_text())
            return data
        except json.JSONDecodeError:
            time.sleep(0.1)
    raise SystemExit(f"{meta}: not JSON (is mutmut still writing it?)")


def function_of(mutant: str) -> str:
    """The key mutmut hashes a mutant's function under: ``xǁEngineǁ_drive`` for
    ``comprehend_cr.engine.xǁEngineǁ_drive__mutmut_3`` (as mutmut's own cache check derives it)."""
    from mutmut.utils.format_utils import mangled_name_from_mutant_name

    return str(mangled_name_from_mutant_name(mutant)).rpartition(".")[2]


def seed_state() -> int:
    """Give mutmut the results in ``STATE`` for every file of ``STAGE/mutants`` that has none yet; returns how many.

    mutmut keeps a result only while the hash of its function's source is the one recorded with it (it resets
    the rest when it generates the file's mutants), and re-checks every mypy verdict; so a carried result stands
    for unchanged code only. Like mutmut's own incremental runs, it does not notice a test that changed since:
    a fresh run (``make mutate``) re-checks everything."""
    if not STATE.exists():
        return 0
    seeded = 0
    for relative, carried in json.loads(STATE.read_text()).items():
        meta = STAGE / "mutants" / f"{relative}.meta"
        if meta.exists():
            continue
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(
            json.dumps(
                {
                    "exit_code_by_key": carried["exit_code_by_key"],
                    "hash_by_function_name": carried["hash_by_function_name"],
                    "type_check_error_by_key": {},
                    "durations_by_key": {},
                    "estimated_durations_by_key": {},
                }
            )
        )
        seeded += len(carried["exit_code_by_key"])
    return seeded


def _env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(Path(sys.executable).parent)]  # mypy, cfn-lint of this virtual environment
    node_bin = ROOT / "node_modules" / ".bin"
    if (node_bin / "node").exists():
        env.setdefault("JSII_NODE", str(node_bin / "node"))
        paths.append(str(node_bin))
    env["PATH"] = os.pathsep.join([*paths, env.get("PATH", "")])
    env["MYPYPATH"] = "src"  # type_check_command runs in mutants/: the packages are under src/
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
    env["COMPREHEND_MUTATION_POLICY_CACHE"] = str(policy_cache())
    return env


def policy_cache() -> Path:
    """Where the lifecycle tests keep the handler policy they synthesize (``tests/lifecycle/conftest.py``), so
    that a mutant of a handler module the construct never loads reuses it instead of starting a jsii kernel (a
    few seconds per mutant). Named after everything the policy is made from (the construct's sources, the
    handler's ``contract.py``, the fixture itself): a cache made from other code is never read."""
    digest = hashlib.sha256()
    sources = [
        *sorted((ROOT / "constructs" / "cdk_comprehend_endpoint").rglob("*.py")),
        ROOT / "lambda" / HANDLER_PACKAGE / "contract.py",
        ROOT / "tests" / "lifecycle" / "conftest.py",
    ]
    for source in sources:
        digest.update(source.relative_to(ROOT).as_posix().encode() + b"\0" + source.read_bytes())
    return STAGE / f"handler-policies-{digest.hexdigest()[:16]}.json"


def _mutmut(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / "mutmut"
    return subprocess.run(  # noqa: S603 - mutmut of this virtual environment, fixed arguments
        [str(executable), *args], cwd=STAGE, env=_env(), text=True, capture_output=capture, check=False
    )


@dataclass(frozen=True)
class Equivalent:
    name: str
    line: str
    """The mutated line as ``mutmut show`` prints it (without the leading ``+`` and indentation)."""


def read_equivalents(path: Path = EQUIVALENTS) -> dict[str, Equivalent]:
    """Entries of the list: a ``### <mutant name>`` heading, then the mutated line in backticks."""
    entries: dict[str, Equivalent] = {}
    if not path.exists():
        return entries
    name: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"###\s+(\S+)\s*", line)
        if heading:
            name = heading[1]
            continue
        quoted = re.fullmatch(r"`(.+)`", line.strip())
        if name is not None and quoted:
            entries[name] = Equivalent(name, quoted[1].strip())
            name = None
    return entries


def module_of(mutant: str) -> str:
    """``comprehend_cr.lifecycle`` for ``comprehend_cr.lifecycle.xǁLifecycleǁ_drive__mutmut_3``."""
    parts = mutant.split(".")
    for index, part in enumerate(parts):
        if part.startswith(("x_", "xǁ")):
            return ".".join(parts[:index])
    return mutant.rsplit(".", 1)[0]


def results() -> dict[str, str]:
    """Mutant name -> status, for every mutant of the last run."""
    out = _mutmut("results", "--all", "true", capture=True)
    if out.returncode != 0:
        sys.exit(f"mutmut results failed:\n{out.stdout}{out.stderr}")
    statuses: dict[str, str] = {}
    for line in out.stdout.splitlines():
        match = re.fullmatch(r"\s*(\S+__mutmut_\d+): (.+)", line)
        if match:
            statuses[match[1]] = match[2].strip()
    return statuses


def diff(mutant: str) -> str:
    out = _mutmut("show", mutant, capture=True)
    return out.stdout.strip()


def added_lines(text: str) -> list[str]:
    return [line[1:].strip() for line in text.splitlines() if line.startswith("+") and not line.startswith("+++")]


def report(statuses: dict[str, str], equivalents: dict[str, Equivalent], elapsed: float | None) -> int:
    """Print the figures per module and every unexplained mutant; 1 when any is left unexplained or not checked.

    Mutants a stopped run never reached are counted per module, not shown: ``mutmut show`` costs a process each."""
    figures: dict[str, Counter[str]] = defaultdict(Counter)
    unexplained: list[tuple[str, str]] = []
    stale: list[tuple[str, str]] = []
    for mutant, status in sorted(statuses.items()):
        counts = figures[module_of(mutant)]
        counts["mutants"] += 1
        entry = equivalents.get(mutant)
        if status in KILLED:
            counts[KILLED[status]] += 1
            if entry is not None:
                stale.append((mutant, f"listed as equivalent, but it is {status}"))
        elif status == SURVIVED and entry is not None:
            shown = diff(mutant)
            if entry.line in added_lines(shown):
                counts["equivalent"] += 1
            else:
                counts["unexplained"] += 1
                stale.append((mutant, f"listed as `{entry.line}`, but the mutant is now:\n{shown}"))
        elif status == UNCHECKED:
            counts[UNCHECKED] += 1
        else:
            counts["unexplained"] += 1
            unexplained.append((mutant, status))
    for name in sorted(set(equivalents) - set(statuses)):
        if module_of(name) in figures:  # a run narrowed by --module says nothing of the other modules
            stale.append((name, "listed as equivalent, but there is no such mutant"))

    columns = ["mutants", "killed", "by mypy", "timeout", "equivalent", "unexplained", UNCHECKED]
    print(f"\n{'module':38}" + "".join(f"{c:>12}" for c in columns))
    total: Counter[str] = Counter()
    for module in sorted(figures):
        total.update(figures[module])
        print(f"{module:38}" + "".join(f"{figures[module][c]:>12}" for c in columns))
    print(f"{'total':38}" + "".join(f"{total[c]:>12}" for c in columns))
    print(
        "killed: by a test; by mypy: refused by mypy --strict (make lint), no test run; timeout: the tests hung;"
        " not checked: the run stopped before it (finish with --resume)"
    )
    if elapsed is not None:
        print(f"wall time: {elapsed / 60:.1f} min")

    for mutant, status in unexplained:
        print(f"\n--- {status}: {mutant}\n{diff(mutant)}")
    for mutant, why in stale:
        print(f"\n--- stale entry in {EQUIVALENTS.relative_to(ROOT)}: {mutant}: {why}")
    left = len(unexplained) + len(stale) + total[UNCHECKED]
    if left:
        kinds = Counter(status for _, status in unexplained)
        if stale:
            kinds["stale entries"] = len(stale)
        if total[UNCHECKED]:
            kinds[UNCHECKED] = total[UNCHECKED]
        listed = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        print(f"\n{left} left unexplained ({listed}): kill each with a test, or explain it in {EQUIVALENTS.name}")
    else:
        print("\nno unexplained mutant")
    return 1 if left else 0


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mutants", nargs="*", help="re-test only these mutants (globs), keeping other results")
    parser.add_argument("--report", action="store_true", help="only print the report of the last run")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="mutants tested at once")
    parser.add_argument(
        "--module", action="append", default=[], help="mutate only this file (e.g. comprehend_cr/watch.py; repeatable)"
    )
    parser.add_argument("--tests", action="append", default=[], help="run only these tests (a pytest path; repeatable)")
    parser.add_argument(
        "--resume", action="store_true", help=f"start from the committed results of unchanged code ({STATE.name})"
    )
    parser.add_argument("--save-state", action="store_true", help=f"only write the results so far to {STATE.name}")
    args = parser.parse_args(list(argv) if argv is not None else None)

    if args.save_state:
        print(f"{save_state()} results written to {STATE.relative_to(ROOT)}")
        return 0
    elapsed = None
    if not args.report:
        started = time.monotonic()
        stage(fresh=args.resume or not args.mutants)
        narrow(args.module, args.tests)
        if args.resume:
            print(f"{seed_state()} results carried from {STATE.relative_to(ROOT)}")
        run = _mutmut("run", "--max-children", str(args.jobs), *args.mutants)
        elapsed = time.monotonic() - started
        print(f"{save_state()} results written to {STATE.relative_to(ROOT)}")
        if run.returncode != 0:
            print(f"mutmut run exited with {run.returncode}", file=sys.stderr)
            return run.returncode
    return report(results(), read_equivalents(), elapsed)


if __name__ == "__main__":
    sys.exit(main())
