"""The handler targets a newer Python on Lambda than the 3.11 the project runs on: run its unit and
contract tests under the newest interpreter this machine has."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.consumer.conftest import make_env
from tools.find_minimum import pyproject_pin

pytestmark = pytest.mark.slow


def _newest_python() -> str | None:
    """The newest working interpreter above 3.11: on PATH, or installed by pyenv but not activated."""
    candidates = [shutil.which(f"python3.{minor}") for minor in (14, 13, 12)]
    candidates += sorted((str(p) for p in Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python3")), reverse=True)
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "--version"], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


NEWER = _newest_python()


@pytest.mark.skipif(NEWER is None, reason="no Python newer than 3.11 on this machine")
def test_handler_unit_and_contract_tests_pass_on_a_newer_python(dev_constraints, tmp_path):
    assert NEWER is not None
    # GIVEN the newer Python with the handler's test dependencies, pinned as in the development environment
    env = make_env(
        tmp_path / "venv",
        python=NEWER,
        requirements=[pyproject_pin("boto3", "dev"), pyproject_pin("crhelper"), pyproject_pin("pytest", "dev")],
        constraints=dev_constraints,
    )
    assert env.unpinned() == {}
    # WHEN the handler's unit and contract tests run on it
    result = subprocess.run(
        [str(env.python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN they pass
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
