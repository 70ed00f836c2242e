"""Synth tier: the release files say what the project does.

- ``.pre-commit-config.yaml`` runs exactly the commands of the Makefile's ``lint`` recipe (both parsed:
  the recipe with its make variables expanded, the hooks as pre-commit builds their command lines), so a
  commit checked by the hooks passes ``make lint`` and the other way round;
- ``LICENSE`` is the Apache License 2.0 that ``pyproject.toml`` declares, and the sdist includes it and
  the changelog;
- ``CHANGELOG.md`` has a released section for the current ``__version__`` (between releases: the next
  version's ``.devN``, its changes under ``Unreleased``) and an ``Unreleased`` one above;
- the rehearsal's distribution (``loopback/pyproject.toml``) is released with the construct: the same version
  (written again in ``comprehend_loopback/__init__.py``, where its build reads it), the same license, and the
  construct's ``rehearse`` extra names exactly it.

The files are read from the repository as git knows it: ``make mutate`` runs the synth tier from a copy
under ``build/mutation/`` that holds only the code and the tests.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML comes with cfn-lint (dev extra), without stubs

import cdk_comprehend_endpoint
import comprehend_loopback

HERE = Path(__file__).resolve().parent
REPO = Path(
    subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--show-toplevel"], check=True, capture_output=True, text=True
    ).stdout.strip()
)

# The text published at https://www.apache.org/licenses/LICENSE-2.0.txt, appendix included.
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
APACHE_2_SECTIONS = [
    "1. Definitions.",
    "2. Grant of Copyright License.",
    "3. Grant of Patent License.",
    "4. Redistribution.",
    "5. Submission of Contributions.",
    "6. Trademarks.",
    "7. Disclaimer of Warranty.",
    "8. Limitation of Liability.",
    "9. Accepting Warranty or Additional Liability.",
]

_ASSIGNMENT = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*:?=\s*(?P<value>.*)$")
_REFERENCE = re.compile(r"\$\((?P<name>[A-Za-z_][A-Za-z0-9_]*)\)")


def make_recipe(makefile: str, target: str) -> list[list[str]]:
    """The command lines of ``target``'s recipe, each split as the shell would, with the Makefile's
    simple variables expanded (``CURDIR`` is the repository root, written ``.``) and the recipe prefixes
    (``@``, ``-``) removed. A path made of ``./`` and variables is normalized (``./.venv/bin/python`` is
    ``.venv/bin/python``)."""
    variables = {"CURDIR": "."}
    lines = makefile.splitlines()
    for line in lines:
        match = _ASSIGNMENT.match(line)
        if match and not line.startswith("\t") and not line.startswith("export "):
            variables[match["name"]] = match["value"].strip()

    def expand(text: str) -> str:
        for _ in range(10):
            expanded = _REFERENCE.sub(lambda m: variables.get(m["name"], m.group(0)), text)
            if expanded == text:
                return text
            text = expanded
        raise AssertionError(f"make variables do not settle in {text!r}")

    header = re.compile(rf"^{re.escape(target)}\s*:(?!=)")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    assert start is not None, f"the Makefile has no {target!r} target"
    commands: list[list[str]] = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        words = shlex.split(expand(line.strip().lstrip("@-")))
        if words and words[0].startswith("./"):
            words[0] = os.path.normpath(words[0])
        commands.append(words)
    return commands


def hook_commands(config: dict[str, Any]) -> list[list[str]]:
    """The command line of every hook, in order, as pre-commit runs it: ``entry`` split, then ``args``.

    Only local hooks run by the system's (here the project's) interpreter, with no file names appended,
    can be the same commands as the recipe's; any other hook fails the check."""
    commands: list[list[str]] = []
    for repo in config["repos"]:
        assert repo["repo"] == "local", f"a hook repository that needs the network: {repo['repo']}"
        for hook in repo["hooks"]:
            assert hook.get("language") == "system", f"hook {hook['id']} is not language: system"
            assert hook.get("pass_filenames") is False, f"hook {hook['id']} appends file names to its command"
            commands.append([*shlex.split(hook["entry"]), *hook.get("args", [])])
    return commands


def released_versions(changelog: str) -> list[str]:
    """The versions of ``## [x.y.z] - YYYY-MM-DD`` headings, in the order they appear."""
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.MULTILINE)


def test_the_pre_commit_hooks_run_exactly_the_lint_recipe():
    # GIVEN the Makefile's lint recipe and the pre-commit configuration
    recipe = make_recipe((REPO / "Makefile").read_text(), "lint")
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())

    # WHEN both are read as the commands they run
    hooks = hook_commands(config)

    # THEN they are the same commands, in the same order, run by the project's .venv
    assert len(recipe) == 4
    assert hooks == recipe
    assert {command[0] for command in hooks} == {".venv/bin/python"}


def test_a_lint_recipe_that_drifts_from_the_hooks_is_noticed():
    # GIVEN a Makefile whose lint recipe type-checks one more directory than the hooks do
    makefile = (REPO / "Makefile").read_text().replace("mypy tests bench demo integ tools", "mypy tests bench")
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())

    # WHEN the two are compared
    # THEN they differ
    assert make_recipe(makefile, "lint") != hook_commands(config)


def test_a_hook_that_appends_file_names_is_refused():
    # GIVEN a hook pre-commit would run with the staged file names appended
    config = {"repos": [{"repo": "local", "hooks": [{"id": "ruff", "entry": "ruff check", "language": "system"}]}]}

    # WHEN its command line is read
    # THEN it cannot be taken for the recipe's command
    with pytest.raises(AssertionError, match="appends file names"):
        hook_commands(config)


def test_the_license_is_the_apache_license_2_0_that_pyproject_declares():
    # GIVEN the LICENSE file and the project's metadata
    text = (REPO / "LICENSE").read_text()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())

    # THEN the metadata declares Apache-2.0 and the file is its text, every section and the appendix
    assert project["project"]["license"] == "Apache-2.0"
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    positions = [text.index(section) for section in APACHE_2_SECTIONS]
    assert positions == sorted(positions)
    assert text.index("END OF TERMS AND CONDITIONS") < text.index("APPENDIX: How to apply the Apache License")
    assert hashlib.sha256(text.encode()).hexdigest() == APACHE_2_SHA256


def test_the_sdist_includes_the_license_and_the_changelog():
    # GIVEN the sdist's include list
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    include = project["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]

    # THEN both release files are in it, anchored to the top level like the rest
    assert "/LICENSE" in include
    assert "/CHANGELOG.md" in include


def _parts(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def changelog_problem(version: str, changelog: str) -> str | None:
    """What is wrong between ``version`` and the changelog, or None.

    A released version (``x.y.z``) is the newest released section, below ``Unreleased``. Between releases the
    version is the next one's development release (``x.y.z.devN``): newer than every released section, with
    what it adds written under ``Unreleased``."""
    versions = released_versions(changelog)
    if not versions:
        return "no released section"
    if versions != sorted(versions, key=_parts, reverse=True):
        return f"released sections out of order: {versions}"
    newest = changelog.index(f"## [{versions[0]}]")
    if "## [Unreleased]" not in changelog or changelog.index("## [Unreleased]") > newest:
        return "no Unreleased section above the released ones"
    development = re.fullmatch(r"(\d+\.\d+\.\d+)\.dev\d+", version)
    if development is None:
        return None if versions[0] == version else f"{version} is not the newest released section ({versions[0]})"
    if _parts(development[1]) <= _parts(versions[0]):
        return f"{version} is not after the last release ({versions[0]})"
    unreleased = changelog[changelog.index("## [Unreleased]") : newest]
    if not re.search(r"^- ", unreleased, re.MULTILINE):
        return f"{version} is a development release, but Unreleased lists nothing"
    return None


def test_the_changelog_agrees_with_the_current_version():
    # GIVEN the changelog and the version the wheel is built with
    changelog = (REPO / "CHANGELOG.md").read_text()
    # WHEN they are compared
    # THEN the version is the newest release, or the next one's development release with Unreleased entries
    assert changelog_problem(cdk_comprehend_endpoint.__version__, changelog) is None


RELEASED = "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-11-30\n\n- two\n\n## [0.1.0] - 2026-11-29\n"
WITH_ENTRIES = RELEASED.replace("## [Unreleased]\n", "## [Unreleased]\n\n- next\n")


@pytest.mark.parametrize(
    ("version", "changelog", "problem"),
    [
        ("0.2.0", RELEASED, None),
        ("0.3.0.dev0", WITH_ENTRIES, None),
        ("0.1.0", RELEASED, "0.1.0 is not the newest released section (0.2.0)"),
        ("0.3.0", RELEASED, "0.3.0 is not the newest released section (0.2.0)"),
        ("0.2.0.dev0", WITH_ENTRIES, "0.2.0.dev0 is not after the last release (0.2.0)"),
        ("0.3.0.dev0", RELEASED, "0.3.0.dev0 is a development release, but Unreleased lists nothing"),
        ("0.2.0", RELEASED.replace("## [Unreleased]\n\n", ""), "no Unreleased section above the released ones"),
        ("0.2.0", "# Changelog\n\n## [Unreleased]\n", "no released section"),
        (
            "0.2.0",
            "## [Unreleased]\n\n## [0.1.0] - 2026-11-29\n\n## [0.2.0] - 2026-11-30\n",
            "released sections out of order: ['0.1.0', '0.2.0']",
        ),
    ],
)
def test_a_version_the_changelog_does_not_account_for_is_noticed(version, changelog, problem):
    # GIVEN a version and a changelog WHEN they are compared THEN the mismatch is named
    assert changelog_problem(version, changelog) == problem


def test_the_rehearsal_distribution_has_the_construct_version_and_the_extra_names_it():
    # GIVEN the two distributions' metadata and the versions their builds read
    construct = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    rehearsal = tomllib.loads((REPO / "loopback" / "pyproject.toml").read_text())
    version = cdk_comprehend_endpoint.__version__

    # THEN the rehearsal's build reads its version from comprehend_loopback, which states the construct's
    assert rehearsal["project"]["name"] == "cdk-comprehend-endpoint-rehearse"
    assert rehearsal["project"]["dynamic"] == ["version"] and "version" not in rehearsal["project"]
    assert rehearsal["tool"]["hatch"]["version"]["path"] == "comprehend_loopback/__init__.py"
    assert comprehend_loopback.__version__ == version
    # AND the construct's rehearse extra is that distribution at that version, and nothing else
    assert construct["optional-dependencies"]["rehearse"] == [f"cdk-comprehend-endpoint-rehearse=={version}"]


def test_the_rehearsal_distribution_ships_the_same_license():
    # GIVEN the rehearsal's metadata and its own copy of the license (its sdist is built from loopback/)
    rehearsal = tomllib.loads((REPO / "loopback" / "pyproject.toml").read_text())

    # THEN it declares the construct's license, ships the same text, and its sdist includes it
    assert rehearsal["project"]["license"] == "Apache-2.0"
    assert (REPO / "loopback" / "LICENSE").read_bytes() == (REPO / "LICENSE").read_bytes()
    assert "/LICENSE" in rehearsal["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
