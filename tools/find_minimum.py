"""Find, by testing, the oldest aws-cdk-lib (and constructs, and Python) the construct works with.

Run by hand, never by ``make test`` (each candidate downloads and installs aws-cdk-lib, ~20 s)::

    .venv/bin/python -m tools.find_minimum                    # bisect aws-cdk-lib, write docs/minimum-versions.md
    .venv/bin/python -m tools.find_minimum --check 2.221.1 2.222.0
    .venv/bin/python -m tools.find_minimum --check 2.222.0 --python /path/to/python3.10
    .venv/bin/python -m tools.find_minimum --facts            # where each API the library uses appeared
    .venv/bin/python -m tools.find_minimum --probe-bisect "Validations, Acknowledgment"

For each candidate version it builds nothing new: the project's wheel is built once (``python -m build``);
then a throwaway virtual environment gets ``aws-cdk-lib==<candidate>``, ``constructs==<the oldest that
candidate allows>`` (its own ``Requires-Dist``), the pinned crhelper and the wheel, and synthesizes
``tests/consumer/full_feature_app.py`` (every feature of the public API) on the project's Node 22.

A candidate is **good** when the app synthesizes (exit 0, no error annotation), the library's warnings
are the reference's, and every resource the library creates or writes has exactly the template the
reference version (requirements.txt's pinned aws-cdk-lib and constructs) gives it, but for the differences
``KNOWN_DIFFERENCES`` explains (aws-cdk-lib's own doing, e.g. which L1 resources ``Tags.of`` reaches).
Differences in the app's own resources (an SNS topic, a dashboard) are reported, not held against the
library. The bisect is a binary
search over every released aws-cdk-lib between ``--low`` and the reference (``pip index versions``);
it assumes that once good, later versions stay good, so the neighbours of the answer are checked too.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "tests" / "consumer" / "full_feature_app.py"
NODE = ROOT / "node_modules" / ".bin" / "node"
REPORT = ROOT / "docs" / "minimum-versions.md"
MARKER = "<!-- Below: written by `python -m tools.find_minimum`; edit above this line only. -->"
MINIMUM_CONSTRAINTS = ROOT / "tests" / "consumer" / "constraints-minimum.txt"
CDK = "aws-cdk-lib"
DIRECT = ("aws-cdk-lib", "constructs", "crhelper", "cdk-comprehend-endpoint")
"""Packages a consumer environment pins directly; every other package it holds is pinned by a constraints file."""

PROBES: dict[str, tuple[str, str | None]] = {
    # name: (Python expression in the candidate environment, first version claimed by earlier bisects)
    "lambda.Runtime.PYTHON_3_14": ("hasattr(aws_lambda.Runtime, 'PYTHON_3_14')", "2.222.0"),
    "Annotations.add_warning_v2": ("hasattr(cdk.Annotations, 'add_warning_v2')", "2.93.0"),
    "CustomResource(service_timeout=)": ("'service_timeout' in params(cdk.CustomResource)", "2.174.0"),
    "lambda.Function(log_group=)": ("'log_group' in params(aws_lambda.Function)", "2.110.0"),
    "PredefinedMetric.COMPREHEND_INFERENCE_UTILIZATION": (
        "hasattr(appscaling.PredefinedMetric, 'COMPREHEND_INFERENCE_UTILIZATION')",
        "2.20.0",
    ),
    "CfnScalableTarget(tags=)": ("'tags' in params(appscaling.CfnScalableTarget)", None),
    "Validations, Acknowledgment": ("hasattr(cdk, 'Validations') and hasattr(cdk, 'Acknowledgment')", None),
    "aws_comprehend.CfnDocumentClassifierEndpoint": ("hasattr(comprehend, 'CfnDocumentClassifierEndpoint')", "2.272.0"),
    "aws_comprehend.CfnEntityRecognizerEndpoint": ("hasattr(comprehend, 'CfnEntityRecognizerEndpoint')", "2.273.0"),
}
PROBE_SCRIPT = """
import importlib, inspect, json
import aws_cdk as cdk
def module(name):
    try:
        return importlib.import_module("aws_cdk." + name)
    except ImportError:
        return None
appscaling, comprehend, aws_lambda = (module(n) for n in ("aws_applicationautoscaling", "aws_comprehend", "aws_lambda"))
def params(cls):
    return inspect.signature(cls.__init__).parameters
def check(expression):
    try:
        return bool(eval(expression))
    except Exception:
        return False
print(json.dumps({name: check(expression) for name, expression in %r.items()}))
"""


# ---------------------------------------------------------------------------------------------------
# Versions and metadata, through pip


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def released_versions(python: str, package: str = CDK) -> list[str]:
    """Final releases of ``package`` on the index, oldest first (``pip index versions``)."""
    result = run([python, "-m", "pip", "index", "versions", package])
    line = next(x for x in result.stdout.splitlines() if x.startswith("Available versions:"))
    versions = [v.strip() for v in line.split(":", 1)[1].split(",")]
    return sorted((v for v in versions if re.fullmatch(r"[0-9]+(\.[0-9]+)*", v)), key=version_key)


def package_metadata(python: str, requirement: str) -> dict[str, Any]:
    """The core metadata of the distribution pip would pick for ``requirement`` (no install, no deps)."""
    dry_run = ["install", "--dry-run", "--ignore-installed", "--no-deps", "--quiet", "--report", "-"]
    result = run([python, "-m", "pip", *dry_run, requirement])
    report = json.loads(result.stdout)
    metadata: dict[str, Any] = report["install"][0]["metadata"]
    return metadata


def lower_bound(requirements: Sequence[str], package: str) -> str | None:
    """The ``>=`` (or ``==``/``~=``) version a ``Requires-Dist`` list gives ``package``; None if unbounded."""
    for line in requirements:
        name = re.match(r"[A-Za-z0-9_.-]+", line)
        if name is None or normalize(name.group()) != normalize(package) or ";" in line:
            continue
        bound = re.search(r"(>=|==|~=)\s*([0-9][0-9.]*)", line)
        return bound.group(2) if bound else None
    return None


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_pin(package: str, section: str = "dependencies") -> str:
    """The ``==`` requirement for ``package`` in pyproject.toml's dependencies or its ``dev`` extra."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    entries = project[section] if section == "dependencies" else project["optional-dependencies"][section]
    for entry in entries:
        if normalize(re.split(r"[<>=~!\[ ;]", entry, maxsplit=1)[0]) == normalize(package) and "==" in entry:
            return str(entry)
    raise LookupError(f"pyproject.toml pins no {package} in {section}")


# ---------------------------------------------------------------------------------------------------
# Environments and synthesis (shared with tests/consumer)


def run(args: Sequence[str | Path], *, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False, **kwargs)  # noqa: S603
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(str(a) for a in args)}\n{result.stdout}\n{result.stderr}")
    return result


def build_wheel(out_dir: Path, python: str = sys.executable) -> Path:
    """The project's wheel, built with ``python -m build`` from the working tree."""
    run([python, "-m", "build", "--wheel", "--outdir", out_dir, ROOT])
    (wheel,) = out_dir.glob("cdk_comprehend_endpoint-*.whl")
    return wheel


def create_env(
    venv: Path,
    *,
    python: str,
    requirements: Sequence[str | Path],
    constraints: Path | None = None,
    wheel_without_deps: Path | None = None,
) -> Path:
    """A fresh virtual environment with ``requirements`` (and their dependencies, held to ``constraints``)
    resolved together as one ``pip install``, then ``wheel_without_deps`` if given (to try versions, of its
    dependencies and of Python, that its own metadata refuses); returns the environment's Python.

    ``--no-compile``: pip would byte-compile aws-cdk-lib's ~430 MB of modules (about 17 s); Python
    compiles the few an app imports when it imports them.
    """
    run([python, "-m", "venv", venv])
    env_python = venv / "bin" / "python"
    pip: list[str | Path] = [env_python, "-m", "pip", "install", "--quiet", "--no-compile"]
    pinned: list[str | Path] = ["--constraint", constraints] if constraints else []
    run([*pip, *requirements, *pinned])
    if wheel_without_deps is not None:
        run([*pip, "--no-deps", "--ignore-requires-python", wheel_without_deps])
    return env_python


def freeze(env_python: Path) -> dict[str, str]:
    """Normalized name -> version of every distribution in the environment."""
    script = (
        "import importlib.metadata as m, json; "
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    installed: dict[str, str] = json.loads(run([env_python, "-c", script]).stdout)
    return {normalize(name): version for name, version in installed.items()}


def app_env(out_dir: Path) -> dict[str, str]:
    """The environment a consumer's ``cdk synth`` gives its app: no AWS credentials, no Python
    settings of this process, the output directory, the context the CLI passes by default (``aws:cdk:path``
    metadata on every resource, which tells the library's resources from the app's), and jsii on the
    project's Node 22."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV", "CDK_"))}
    env["CDK_OUTDIR"] = str(out_dir)
    env["CDK_CONTEXT_JSON"] = json.dumps({"aws:cdk:enable-path-metadata": True})
    env["JSII_NODE"] = str(NODE)
    return env


@dataclass(frozen=True)
class Annotation:
    level: str
    path: str
    message: str


@dataclass
class Synthesis:
    """What synthesizing the full-feature app gave."""

    returncode: int
    output: str
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[Annotation]:
        return [a for a in self.annotations if a.level == "error"]

    def failure(self) -> str | None:
        """Why the synthesis failed (the exception's last line, or the error annotations); None if it did not."""
        if self.returncode != 0:
            lines = [x for x in self.output.splitlines() if x.strip()]
            last = next((x for x in reversed(lines) if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", x)), None)
            return (last or (lines[-1] if lines else f"exit {self.returncode}")).strip()
        if self.errors:
            return "; ".join(f"{a.path}: {a.message}" for a in self.errors)
        return None


def synthesize(env_python: Path, work_dir: Path, app: Path = APP) -> Synthesis:
    """Run ``app`` with the environment's Python from an empty directory outside the repository."""
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    shutil.copyfile(app, work_dir / "app.py")
    out_dir = work_dir / "cdk.out"
    started = time.perf_counter()
    result = run([env_python, "app.py"], check=False, cwd=work_dir, env=app_env(out_dir), timeout=600)
    synthesis = Synthesis(result.returncode, result.stdout + result.stderr, seconds=time.perf_counter() - started)
    if result.returncode == 0:
        synthesis.templates = {
            p.name.removesuffix(".template.json"): json.loads(p.read_text()) for p in out_dir.glob("*.template.json")
        }
        synthesis.annotations = read_annotations(out_dir)
    return synthesis


def read_annotations(out_dir: Path) -> list[Annotation]:
    """Warnings, errors and infos of the cloud assembly (inline in manifest.json in older versions,
    in ``<stack>.metadata.json`` files in newer ones)."""
    sources: list[Mapping[str, Any]] = []
    manifest = json.loads((out_dir / "manifest.json").read_text())
    sources += [a.get("metadata", {}) for a in manifest.get("artifacts", {}).values()]
    sources += [json.loads(p.read_text()) for p in out_dir.glob("*.metadata.json")]
    found = {
        Annotation(entry["type"].removeprefix("aws:cdk:"), path, str(entry.get("data")))
        for metadata in sources
        for path, entries in metadata.items()
        for entry in entries
        if entry.get("type") in ("aws:cdk:warning", "aws:cdk:error", "aws:cdk:info")
    }
    return sorted(found, key=lambda a: (a.path, a.level, a.message))


# ---------------------------------------------------------------------------------------------------
# Comparing templates


def library_paths(app: Path = APP) -> tuple[str, ...]:
    """``LIBRARY_PATHS`` of the full-feature app, read from its source (importing it would start jsii)."""
    for node in ast.parse(app.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "LIBRARY_PATHS" for t in node.targets):
            paths: tuple[str, ...] = ast.literal_eval(node.value)
            return paths
    raise LookupError(f"no LIBRARY_PATHS in {app}")


def owned_by_library(path: str, prefixes: Sequence[str]) -> bool:
    """``path`` is an ``aws:cdk:path`` (``Stack/Construct/...``) or an annotation path (``/Stack/Construct``)."""
    relative = path.lstrip("/").split("/", 1)[-1] + "/"
    return relative.startswith(tuple(prefixes))


@dataclass
class Differences:
    library: list[str] = field(default_factory=list)
    """Differences in what the library creates: none is allowed."""
    explained: list[str] = field(default_factory=list)
    """Differences in the library's resources that come from aws-cdk-lib itself (``KNOWN_DIFFERENCES``)."""
    app: list[str] = field(default_factory=list)
    """Differences in the app's own resources, outputs, parameters and rules."""


KNOWN_DIFFERENCES: list[tuple[str, str, str]] = [
    (
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "/Properties/Tags",
        "Tags.of(scope) reaches an AWS::ApplicationAutoScaling::ScalableTarget only in aws-cdk-lib versions whose "
        "CfnScalableTarget takes tags; the library sets no tag on it itself (docs/minimum-versions.md)",
    ),
]
"""(resource type, pointer suffix, reason): a reference value the candidate lacks there is aws-cdk-lib's doing."""


def compare(reference: Synthesis, candidate: Synthesis, prefixes: Sequence[str] | None = None) -> Differences:
    """Template and warning differences, split into the library's, the explained and the app's own."""
    prefixes = library_paths() if prefixes is None else prefixes
    found = Differences()
    for stack in sorted(set(reference.templates) | set(candidate.templates)):
        ref = _normalized(reference.templates.get(stack, {}))
        cand = _normalized(candidate.templates.get(stack, {}))
        for section in sorted(set(ref) | set(cand)):
            ref_section, cand_section = ref.get(section, {}), cand.get(section, {})
            if section != "Resources":
                found.app += [_line(*d) for d in _diff(ref_section, cand_section, f"{stack}/{section}")]
                continue
            for logical_id in sorted(set(ref_section) | set(cand_section)):
                either = ref_section.get(logical_id) or cand_section.get(logical_id)
                path = either.get("Metadata", {}).get("aws:cdk:path")
                if path is None:
                    raise ValueError(f"{stack}/{logical_id} has no aws:cdk:path metadata: synthesize with app_env()")
                pointer = f"{stack}/Resources/{logical_id}"
                for difference in _diff(ref_section.get(logical_id), cand_section.get(logical_id), pointer):
                    if not owned_by_library(path, prefixes):
                        found.app.append(_line(*difference))
                    elif (reason := _known(either.get("Type", ""), *difference)) is not None:
                        found.explained.append(f"{_line(*difference)}: {reason}")
                    else:
                        found.library.append(_line(*difference))
    ref_warnings = {(a.path, a.message) for a in reference.annotations if a.level == "warning"}
    cand_warnings = {(a.path, a.message) for a in candidate.annotations if a.level == "warning"}
    for path, message in sorted(ref_warnings ^ cand_warnings):
        side = "only in the reference" if (path, message) in ref_warnings else "only here"
        bucket = found.library if owned_by_library(path, prefixes) else found.app
        bucket.append(f"warning {side}: {path}: {message}")
    return found


def _known(resource_type: str, pointer: str, ref: Any, cand: Any) -> str | None:
    for known_type, suffix, reason in KNOWN_DIFFERENCES:
        if resource_type == known_type and pointer.endswith(suffix) and ref is not None and cand is None:
            return reason
    return None


def _normalized(template: Mapping[str, Any]) -> dict[str, Any]:
    """Without ``CDKMetadata`` (it names the aws-cdk-lib version) and its condition."""
    copy = json.loads(json.dumps(template))
    copy.get("Resources", {}).pop("CDKMetadata", None)
    conditions = copy.get("Conditions", {})
    conditions.pop("CDKMetadataAvailable", None)
    if "Conditions" in copy and not conditions:
        del copy["Conditions"]
    return dict(copy)


def _diff(ref: Any, cand: Any, pointer: str) -> list[tuple[str, Any, Any]]:
    """(pointer, reference value, candidate value) of every leaf that differs; None = absent."""
    if isinstance(ref, dict) and isinstance(cand, dict):
        return [
            d for key in sorted(set(ref) | set(cand)) for d in _diff(ref.get(key), cand.get(key), f"{pointer}/{key}")
        ]
    if isinstance(ref, list) and isinstance(cand, list) and len(ref) == len(cand):
        return [d for i, (a, b) in enumerate(zip(ref, cand, strict=True)) for d in _diff(a, b, f"{pointer}/{i}")]
    if ref == cand:
        return []
    return [(pointer, ref, cand)]


def _line(pointer: str, ref: Any, cand: Any) -> str:
    return f"{pointer}: {_short(ref)} -> {_short(cand)}"


def _short(value: Any, limit: int = 160) -> str:
    text = "(absent)" if value is None else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------------
# One candidate


@dataclass
class Trial:
    version: str
    constructs: str | None = None
    install_error: str | None = None
    synthesis: Synthesis | None = None
    differences: Differences | None = None
    probes: dict[str, bool] = field(default_factory=dict)
    frozen: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def good(self) -> bool:
        return (
            self.install_error is None
            and self.synthesis is not None
            and self.synthesis.failure() is None
            and self.differences is not None
            and not self.differences.library
        )

    def verdict(self) -> str:
        if self.install_error is not None:
            return f"install failed: {self.install_error}"
        if self.synthesis is None:
            return "not synthesized (probes only)"
        failure = self.synthesis.failure()
        if failure is not None:
            return f"synth failed: {failure}"
        assert self.differences is not None
        if self.differences.library:
            return f"synthesized, {len(self.differences.library)} differences in the library's resources"
        explained = f" but {len(self.differences.explained)} explained" if self.differences.explained else ""
        app = f"; {len(self.differences.app)} differences in the app's own" if self.differences.app else ""
        return f"synthesized, the library's resources as the reference's{explained}{app}"


class Runner:
    def __init__(self, *, python: str, work: Path, keep: bool, probe_only: bool = False) -> None:
        self.python = python
        self.work = work
        self.keep = keep
        self.probe_only = probe_only
        self.trials: dict[str, Trial] = {}
        self.pinned_version = pinned_requirement(CDK).split("==", 1)[1]
        self.reference: Trial | None = None
        self.wheel: Path | None = None
        self.python_version = run([python, "-c", "import platform; print(platform.python_version())"]).stdout.strip()

    def ensure_wheel(self) -> Path:
        if self.wheel is None:
            dist = self.work / "dist"
            shutil.rmtree(dist, ignore_errors=True)
            self.wheel = build_wheel(dist)
        return self.wheel

    def trial(self, version: str) -> Trial:
        if version in self.trials:
            return self.trials[version]
        started = time.perf_counter()
        trial = Trial(version)
        venv = self.work / "venvs" / f"py{self.python_version}-cdk{version}"
        shutil.rmtree(venv, ignore_errors=True)
        try:
            if version == self.pinned_version:
                trial.constructs = pinned_requirement("constructs").split("==", 1)[1]  # the pinned pair
            else:
                metadata = package_metadata(self.python, f"{CDK}=={version}")
                trial.constructs = lower_bound(metadata.get("requires_dist") or [], "constructs") or "10.0.0"
            requirements = [f"{CDK}=={version}", f"constructs=={trial.constructs}", pyproject_pin("crhelper")]
            env_python = create_env(
                venv,
                python=self.python,
                requirements=requirements,
                wheel_without_deps=None if self.probe_only else self.ensure_wheel(),
            )
        except (RuntimeError, StopIteration, KeyError) as error:
            trial.install_error = _last_error_line(str(error))
        else:
            trial.frozen = freeze(env_python)
            trial.probes = self._probe(env_python)
            if not self.probe_only:
                trial.synthesis = synthesize(env_python, self.work / "apps" / version)
                if trial.synthesis.failure() is not None:
                    pass
                elif self.reference is not None and self.reference.synthesis is not None:
                    trial.differences = compare(self.reference.synthesis, trial.synthesis)
                else:
                    trial.differences = Differences()
        if not self.keep:
            shutil.rmtree(venv, ignore_errors=True)
        trial.seconds = time.perf_counter() - started
        self.trials[version] = trial
        verdict = trial.verdict()
        if self.probe_only and trial.install_error is None:
            present = [name for name, ok in trial.probes.items() if ok]
            verdict = f"probes only; present: {', '.join(present) or 'none'}"
        print(f"  {version:>9} (constructs {trial.constructs}): {verdict}  [{trial.seconds:.0f} s]", flush=True)
        return trial

    def _probe(self, env_python: Path) -> dict[str, bool]:
        expressions = {name: expression for name, (expression, _) in PROBES.items()}
        result = run([env_python, "-c", PROBE_SCRIPT % (expressions,)], check=False, env=app_env(self.work / "probe"))
        if result.returncode != 0:
            return {}
        probes: dict[str, bool] = json.loads(result.stdout.strip().splitlines()[-1])
        return probes


def _last_error_line(text: str) -> str:
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    for line in reversed(lines):
        if line.startswith("ERROR:") or "requires a different Python" in line:
            return line
    return lines[-1] if lines else text


def bisect(versions: Sequence[str], good: Callable[[str], bool]) -> int | None:
    """Index of the first version for which ``good`` holds, assuming it holds for every later one;
    None when even the last does not."""
    if not good(versions[-1]):
        return None
    if good(versions[0]):
        return 0
    low, high = 0, len(versions) - 1  # low bad, high good
    while high - low > 1:
        middle = (low + high) // 2
        if good(versions[middle]):
            high = middle
        else:
            low = middle
    return high


# ---------------------------------------------------------------------------------------------------
# Reporting


def write_constraints(trial: Trial, path: Path) -> None:
    pins = {name: version for name, version in sorted(trial.frozen.items()) if name not in DIRECT}
    pins = {name: version for name, version in pins.items() if name not in {"pip", "setuptools", "wheel"}}
    header = [
        f"# The dependencies of aws-cdk-lib=={trial.version} and constructs=={trial.constructs} (the declared",
        "# minimums) as pip resolved them for the minimum-version consumer test. Written by",
        f"# `python -m tools.find_minimum --write-constraints` on {datetime.date.today().isoformat()}; aws-cdk-lib,",
        "# constructs and crhelper themselves come from pyproject.toml.",
    ]
    path.write_text("\n".join(header + [f"{name}=={version}" for name, version in pins.items()]) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def difference_lines(differences: Differences) -> list[str]:
    return (
        [f"library:   {d}" for d in differences.library]
        + [f"explained: {d}" for d in differences.explained]
        + [f"app:       {d}" for d in differences.app]
    )


def report_lines(runner: Runner, first: str | None, reference: str, versions: Sequence[str]) -> list[str]:
    lines = [
        "## The aws-cdk-lib bisect",
        "",
        f"Found by `python -m tools.find_minimum` on {datetime.date.today().isoformat()} with Python "
        f"{runner.python_version}: a binary search over the {len(versions)} released aws-cdk-lib versions from "
        f"{versions[0]} to {reference} (the pinned reference). Each candidate got a fresh virtual environment with "
        "`aws-cdk-lib==<candidate>`, the oldest `constructs` that candidate allows, the pinned crhelper and the "
        "project's wheel, and synthesized `tests/consumer/full_feature_app.py`, which uses every feature of the "
        "public API. Good = synthesized without an error, and the library's resources and warnings exactly as "
        "the reference's.",
        "",
        f"**First good aws-cdk-lib: {first or 'none'}.**",
        "",
        "| step | aws-cdk-lib | constructs | result |",
        "| --- | --- | --- | --- |",
    ]
    for step, trial in enumerate(runner.trials.values(), start=1):
        verdict = trial.verdict().replace("|", "\\|")
        lines.append(f"| {step} | {trial.version} | {trial.constructs} | {verdict} |")
    for trial in runner.trials.values():
        if trial.differences and (trial.differences.library or trial.differences.explained or trial.differences.app):
            lines += ["", f"Differences of {trial.version} from {reference}:", "", "```"]
            lines += difference_lines(trial.differences)
            lines.append("```")
    probed = [t for t in runner.trials.values() if t.probes]
    if probed:
        lines += ["", "APIs the library relies on, present (yes) or not in each version tried:", ""]
        lines += ["| API | " + " | ".join(t.version for t in probed) + " |"]
        lines += ["| --- |" + " --- |" * len(probed)]
        for name in PROBES:
            lines.append(f"| `{name}` | " + " | ".join("yes" if t.probes.get(name) else "no" for t in probed) + " |")
    return lines


def write_report(path: Path, lines: Sequence[str]) -> None:
    """Replace what follows ``MARKER`` in ``path`` (the hand-written text above it stays)."""
    text = path.read_text() if path.exists() else ""
    head = text[: text.index(MARKER)] if MARKER in text else text
    path.write_text(head + MARKER + "\n\n" + "\n".join(lines) + "\n")


def pinned_requirement(package: str) -> str:
    """``package==<version>`` as requirements.txt pins it (the versions the project develops and tests with)."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if normalize(line.split("==", 1)[0]) == normalize(package) and "==" in line:
            return line.strip()
    raise LookupError(f"requirements.txt pins no {package}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="interpreter of the throwaway environments")
    parser.add_argument("--reference", default=None, help="default: requirements.txt's aws-cdk-lib (and constructs)")
    parser.add_argument("--low", default="2.0.0", help="oldest aws-cdk-lib to consider (default 2.0.0)")
    parser.add_argument("--check", nargs="+", metavar="VERSION", help="try these versions only, no bisect")
    parser.add_argument("--facts", action="store_true", help="probe the versions around each claimed API boundary")
    parser.add_argument("--probe-bisect", metavar="PROBE", help="bisect for the first version where PROBE holds")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "find-minimum")
    parser.add_argument("--keep", action="store_true", help="keep the virtual environments")
    parser.add_argument("--report", type=Path, default=None, help=f"markdown report (bisect default: {REPORT})")
    parser.add_argument(
        "--write-constraints", action="store_true", help=f"pin the minimum's deps: {MINIMUM_CONSTRAINTS}"
    )
    args = parser.parse_args(argv)

    if not NODE.exists():
        parser.error(f"{NODE} is missing: run `make setup` first")
    probe_only = bool(args.facts or args.probe_bisect)
    runner = Runner(python=args.python, work=args.work, keep=args.keep, probe_only=probe_only)
    reference = args.reference or runner.pinned_version
    versions = [
        v for v in released_versions(args.python) if version_key(args.low) <= version_key(v) <= version_key(reference)
    ]
    print(
        f"Python {runner.python_version}; {len(versions)} aws-cdk-lib releases {versions[0]}..{reference}", flush=True
    )

    if args.probe_bisect:
        name = args.probe_bisect
        found = bisect(versions, lambda v: runner.trial(v).probes.get(name, False))
        print(f"{name}: first in {versions[found] if found is not None else 'none of them'}")
        return 0
    if args.facts:
        for name, (_, claimed) in PROBES.items():
            if claimed is None or claimed not in versions:
                continue
            before = versions[versions.index(claimed) - 1]
            has = [runner.trial(v).probes.get(name) for v in (before, claimed)]
            verdict = (
                "confirmed" if has == [False, True] else f"NOT confirmed ({before}: {has[0]}, {claimed}: {has[1]})"
            )
            print(f"{name}: claimed first in {claimed}: {verdict}", flush=True)
        return 0

    print(f"reference {reference}:", flush=True)
    runner.reference = runner.trial(reference)
    if not runner.reference.good:
        print("the reference itself does not synthesize the app: nothing to compare with", file=sys.stderr)
        return 1
    first: str | None
    if args.check:
        for version in args.check:
            runner.trial(version)
        first = None
    else:
        print("bisect:", flush=True)
        index = bisect(versions, lambda v: runner.trial(v).good)
        first = versions[index] if index is not None else None
        if index is not None and index > 0:
            print("neighbours:", flush=True)
            runner.trial(versions[index - 1])
            if index + 1 < len(versions):
                runner.trial(versions[index + 1])
        print(f"first good aws-cdk-lib: {first}", flush=True)
        if first is not None and args.write_constraints:
            write_constraints(runner.trials[first], MINIMUM_CONSTRAINTS)
    for trial in runner.trials.values():
        failure = trial.synthesis.failure() if trial.synthesis else None
        if failure:
            print(f"\n{trial.version} failed:\n{_tail(trial.synthesis.output if trial.synthesis else '')}")
        if trial.differences and (trial.differences.library or trial.differences.explained or trial.differences.app):
            print(f"\n{trial.version} differs from {reference}:")
            print("\n".join(f"  {line}" for line in difference_lines(trial.differences)))
    report = args.report or (None if args.check else REPORT)
    if report is not None:
        write_report(report, report_lines(runner, first, reference, versions))
        print(f"wrote {report}")
    return 0


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.splitlines()[-lines:])


if __name__ == "__main__":
    sys.exit(main())
