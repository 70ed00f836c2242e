"""The handler targets a newer Python on Lambda than the 3.11 the project runs on: run its unit and
contract tests under the newest interpreter this machine has."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

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
def test_handler_unit_and_contract_tests_pass_on_a_newer_python(tmp_path):
    assert NEWER is not None
    venv = tmp_path / "venv"
    subprocess.run([NEWER, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "boto3",
            "crhelper==2.0.12",
            "pytest",
        ],
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
