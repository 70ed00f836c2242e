"""The consumer tier's shared, session-wide set-up: one ``python -m build`` of each distribution (the sdist,
then the wheel built from that sdist): the construct's, from the repository's root, and the rehearsal's, from
``loopback/``; and the consumer environments, each created once however many tests use it.

Every package a consumer environment installs is pinned:

- the pinned-version environments (``pinned_env``, and those that only need boto3 or pytest) get the
  versions of this development environment (``make setup``: requirements.txt's aws-cdk-lib and
  constructs, pyproject.toml's crhelper and ``dev`` extra) as pip constraints;
- the minimum-version environment gets exactly the lower bounds pyproject.toml declares for aws-cdk-lib
  and constructs, on the lowest Python it declares, and ``constraints-minimum.txt`` for their
  dependencies (written by ``python -m tools.find_minimum``).
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import ROOT
from tools import find_minimum

MINIMUM_CONSTRAINTS = Path(__file__).resolve().parent / "constraints-minimum.txt"
PROJECT = "cdk-comprehend-endpoint"
REHEARSAL = "cdk-comprehend-endpoint-rehearse"


@dataclass(frozen=True)
class Dist:
    sdist: Path
    wheel: Path

    def wheel_metadata(self) -> dict[str, str]:
        return dict(self._wheel_message().items())

    def wheel_requires(self) -> list[str]:
        """The wheel's ``Requires-Dist`` entries, as written."""
        return self._wheel_message().get_all("Requires-Dist") or []

    def wheel_entry_points(self) -> str:
        """The wheel's ``entry_points.txt`` ("" when it has none)."""
        with zipfile.ZipFile(self.wheel) as archive:
            names = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
            return archive.read(names[0]).decode() if names else ""

    def _wheel_message(self) -> Message:
        with zipfile.ZipFile(self.wheel) as archive:
            (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            return Parser().parsestr(archive.read(name).decode())

    def sdist_metadata(self) -> dict[str, str]:
        with tarfile.open(self.sdist) as archive:
            (member,) = [m for m in archive.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")]
            handle = archive.extractfile(member)
            assert handle is not None
            return dict(Parser().parsestr(handle.read().decode()).items())


@dataclass(frozen=True)
class ConsumerEnv:
    python: Path
    installed: dict[str, str]
    """Normalized distribution name -> version of everything in the environment."""
    pins: dict[str, str]
    """What the environment was allowed to hold: normalized name -> pinned version."""

    def unpinned(self) -> dict[str, str]:
        """Installed distributions without a pin, or at another version than pinned (pip and the
        setuptools a virtual environment starts with aside)."""
        return {
            name: version
            for name, version in self.installed.items()
            if self.pins.get(name) != version and name not in ("pip", "setuptools")
        }


def project() -> dict[str, object]:
    data: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return data


def declared_minimums() -> dict[str, str]:
    """The lowest version pyproject.toml's ``dependencies`` allow, for each that has a lower bound."""
    minimums = {}
    for entry in project()["dependencies"]:  # type: ignore[attr-defined]
        requirement = Requirement(entry)
        bounds = [s.version for s in requirement.specifier if s.operator in (">=", "==", "~=")]
        if bounds:
            minimums[find_minimum.normalize(requirement.name)] = bounds[0]
    return minimums


def declared_python() -> str:
    """``3.11`` for ``requires-python = ">=3.11"``."""
    match = re.fullmatch(r">=\s*([0-9]+\.[0-9]+)", str(project()["requires-python"]))
    assert match, f"requires-python must be a plain lower bound, got {project()['requires-python']!r}"
    return match.group(1)


def interpreter(minor: str) -> str | None:
    """A working Python ``minor`` (e.g. ``3.11``): this one, on PATH, or installed by pyenv."""
    candidates = [sys.executable] if f"{sys.version_info.major}.{sys.version_info.minor}" == minor else []
    candidates.append(shutil.which(f"python{minor}") or "")
    candidates += sorted((str(p) for p in Path.home().glob(f".pyenv/versions/{minor}.*/bin/python3")), reverse=True)
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    for candidate in filter(None, candidates):
        result = subprocess.run([candidate, "-c", probe], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip() == minor:
            return candidate
    return None


def dev_pins() -> dict[str, str]:
    """Every distribution of this development environment but the project's own two (installed editable)."""
    pins = {find_minimum.normalize(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    pins.pop(PROJECT, None)
    pins.pop(REHEARSAL, None)
    return pins


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[find_minimum.normalize(name)] = version.strip()
    return pins


def write_pins(pins: dict[str, str], path: Path) -> Path:
    path.write_text("".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))
    return path


def build(source: Path, out: Path) -> Dist:
    """``python -m build`` of the project in ``source``: the sdist from the working tree, then the wheel from
    that sdist (so the wheel shows the sdist holds everything it is built from)."""
    find_minimum.run([sys.executable, "-m", "build", "--outdir", out, source])
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*-py3-none-any.whl")
    return Dist(sdist, wheel)


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Dist:
    """The construct's distribution, ``cdk-comprehend-endpoint``."""
    return build(ROOT, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def rehearse_dist(tmp_path_factory) -> Dist:
    """The rehearsal's distribution, ``cdk-comprehend-endpoint-rehearse``, built from ``loopback/``."""
    return build(ROOT / "loopback", tmp_path_factory.mktemp("rehearse-dist"))


@pytest.fixture(scope="session")
def dev_constraints(tmp_path_factory) -> Path:
    return write_pins(dev_pins(), tmp_path_factory.mktemp("pins") / "constraints.txt")


def make_env(
    venv: Path,
    *,
    python: str,
    requirements: list[str],
    constraints: Path,
    wheel: Path | None = None,
    wheel_extra: str = "",
    more_wheels: tuple[Path, ...] = (),
) -> ConsumerEnv:
    """An environment with ``requirements`` and the wheels (``wheel`` with its extra ``wheel_extra`` if
    given, and ``more_wheels``) resolved as one install, as a user's would be."""
    wheels = [f"{wheel}[{wheel_extra}]" if wheel_extra else str(wheel)] if wheel else []
    wheels += map(str, more_wheels)
    env_python = find_minimum.create_env(
        venv, python=python, requirements=[*requirements, *wheels], constraints=constraints
    )
    pins = read_pins(constraints)
    for requirement in requirements:
        name, version = requirement.split("==")
        pins[find_minimum.normalize(name)] = version
    for built in [*([wheel] if wheel else []), *more_wheels]:
        name, version = built.name.split("-")[:2]
        pins[find_minimum.normalize(name)] = version
    return ConsumerEnv(env_python, find_minimum.freeze(env_python), pins)


@pytest.fixture(scope="session")
def pinned_env(dist, dev_constraints, tmp_path_factory) -> ConsumerEnv:
    """The wheel with the pinned aws-cdk-lib and constructs (requirements.txt) on this Python."""
    requirements = [
        find_minimum.pinned_requirement("aws-cdk-lib"),
        find_minimum.pinned_requirement("constructs"),
        find_minimum.pyproject_pin("crhelper"),
    ]
    venv = tmp_path_factory.mktemp("pinned") / "venv"
    return make_env(
        venv, python=sys.executable, requirements=requirements, constraints=dev_constraints, wheel=dist.wheel
    )


@pytest.fixture(scope="session")
def minimum_env(dist, tmp_path_factory) -> ConsumerEnv:
    """The wheel with exactly the declared minimum aws-cdk-lib and constructs, on the declared minimum Python."""
    minor = declared_python()
    python = interpreter(minor)
    if python is None:
        pytest.skip(f"no Python {minor} (pyproject.toml's requires-python floor) on this machine")
    minimums = declared_minimums()
    requirements = [
        f"aws-cdk-lib=={minimums['aws-cdk-lib']}",
        f"constructs=={minimums['constructs']}",
        find_minimum.pyproject_pin("crhelper"),
    ]
    venv = tmp_path_factory.mktemp("minimum") / "venv"
    try:
        return make_env(
            venv, python=python, requirements=requirements, constraints=MINIMUM_CONSTRAINTS, wheel=dist.wheel
        )
    except RuntimeError as error:
        pytest.fail(
            f"the declared minimums {requirements} do not install with {MINIMUM_CONSTRAINTS.name} "
            f"(rerun `python -m tools.find_minimum --write-constraints`):\n{error}"
        )


@pytest.fixture(scope="session")
def pinned_full_feature(pinned_env, tmp_path_factory) -> find_minimum.Synthesis:
    """The full-feature app synthesized with the pinned aws-cdk-lib: the reference the minimum is held to."""
    return find_minimum.synthesize(pinned_env.python, tmp_path_factory.mktemp("pinned-app"))
