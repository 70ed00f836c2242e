"""The two distributions, the construct's (``cdk-comprehend-endpoint``) and the rehearsal's
(``cdk-comprehend-endpoint-rehearse``, from ``loopback/``), each an sdist and a wheel: built by ``python -m build``
(the wheel from the sdist), accepted by ``twine check``, complete, and carrying the one version the construct
states."""

from __future__ import annotations

import ast
import sys
import tarfile
import tomllib
import zipfile

import pytest

from tests.conftest import ROOT
from tools import find_minimum

pytestmark = pytest.mark.slow

PACKAGE_INIT = ROOT / "constructs" / "cdk_comprehend_endpoint" / "__init__.py"
LOOPBACK = ROOT / "loopback" / "comprehend_loopback"


def source_version() -> str:
    """``__version__`` as written in the package's ``__init__.py``."""
    for node in ast.parse(PACKAGE_INIT.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__version__" for t in node.targets):
            return str(ast.literal_eval(node.value))
    raise LookupError("no __version__")


def test_twine_check_passes(dist, rehearse_dist):
    artifacts = [dist.sdist, dist.wheel, rehearse_dist.sdist, rehearse_dist.wheel]
    result = find_minimum.run([sys.executable, "-m", "twine", "check", "--strict", *artifacts])
    assert result.stdout.count("PASSED") == 4, result.stdout


def test_the_version_is_written_once_and_every_artifact_carries_it(dist, rehearse_dist, pinned_env):
    import cdk_comprehend_endpoint

    version = source_version()
    # pyproject.toml states no version of its own: it reads __version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == str(PACKAGE_INIT.relative_to(ROOT))
    # the sdist's and the wheel's metadata and file names carry it
    assert dist.wheel_metadata()["Version"] == version == dist.sdist_metadata()["Version"]
    assert dist.wheel.name.startswith(f"cdk_comprehend_endpoint-{version}-")
    assert dist.sdist.name == f"cdk_comprehend_endpoint-{version}.tar.gz"
    # and so do the rehearsal's (its build reads comprehend_loopback.__version__, held equal to it)
    assert rehearse_dist.wheel_metadata()["Version"] == version == rehearse_dist.sdist_metadata()["Version"]
    assert rehearse_dist.wheel.name.startswith(f"cdk_comprehend_endpoint_rehearse-{version}-")
    assert rehearse_dist.sdist.name == f"cdk_comprehend_endpoint_rehearse-{version}.tar.gz"
    # and an installed copy reports the same at run time as its metadata says
    assert cdk_comprehend_endpoint.__version__ == version
    script = (
        "import importlib.metadata as m, cdk_comprehend_endpoint as c; "
        "print(m.version('cdk-comprehend-endpoint'), c.__version__)"
    )
    result = find_minimum.run([pinned_env.python, "-c", script], env=find_minimum.app_env(ROOT / "unused"))
    assert result.stdout.split() == [version, version]


def test_the_wheel_built_from_the_sdist_has_every_source_file(dist):
    # GIVEN the construct's wheel python -m build made from the sdist (not from the working tree)
    wheel_names = set(zipfile.ZipFile(dist.wheel).namelist())
    expected = {f"cdk_comprehend_endpoint/{p.relative_to(PACKAGE_INIT.parent)}" for p in _files("constructs")}
    expected |= {f"cdk_comprehend_endpoint/_handler/{p.relative_to(ROOT / 'lambda')}" for p in _files("lambda")}
    # THEN it holds every source file of the library and the handler, and py.typed
    assert expected - wheel_names == set()
    assert "cdk_comprehend_endpoint/py.typed" in wheel_names
    # AND the sdist holds the sources, the README and pyproject.toml, and nothing of loopback/, tests/ or tools/
    top = _sdist_top(dist)
    assert {"constructs", "lambda", "README.md", "pyproject.toml", "LICENSE", "PKG-INFO"} <= top
    assert not top & {"loopback", "tests", "tools", "bench", "demo", "integ", "node_modules"}


def test_the_rehearsal_wheel_built_from_its_sdist_has_every_file_of_the_loopback_package(rehearse_dist):
    # GIVEN the rehearsal's wheel, built from its sdist, built from loopback/
    wheel_names = set(zipfile.ZipFile(rehearse_dist.wheel).namelist())
    expected = {f"comprehend_loopback/{p.relative_to(LOOPBACK)}" for p in _files("loopback")}
    # THEN it holds every file of comprehend_loopback (py.typed and the private _faults among them)
    assert {"comprehend_loopback/py.typed", "comprehend_loopback/_faults.py"} <= expected
    assert expected - wheel_names == set()
    assert {n.split("/")[0] for n in wheel_names if ".dist-info/" not in n} == {"comprehend_loopback"}
    # AND its sdist holds the package, its README, pyproject.toml and LICENSE, and nothing else of the repository
    # (hatchling adds the repository's .gitignore, which it builds the wheel with)
    top = _sdist_top(rehearse_dist) - {".gitignore"}
    assert top == {"comprehend_loopback", "README.md", "pyproject.toml", "LICENSE", "PKG-INFO"}


def _sdist_top(built):
    """The names directly under the sdist's top directory."""
    with tarfile.open(built.sdist) as archive:
        return {name.split("/", 2)[1] for name in archive.getnames() if name.count("/") >= 1}


def _files(tree: str):
    return [
        p
        for p in (ROOT / tree).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".typed")
    ]
