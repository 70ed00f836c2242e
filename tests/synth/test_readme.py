"""Synth tier: the README runs as written (issue #9).

Every ```python block of README.md is a complete app. Each runs exactly as written (a block inside a list
item is dedented, as Markdown renders it) in a fresh Python process of this environment, in an empty
temporary directory, with jsii on the project's Node (``JSII_NODE``) and ``CDK_OUTDIR`` set as the CDK CLI
sets it, and must exit 0 having synthesized at least one template into ``cdk.out``. The blocks run
concurrently, one process each. Shell blocks are not run.

The README's table of the native endpoint types' properties is checked against the installed aws-cdk-lib.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import pytest
from aws_cdk import aws_comprehend as comprehend

from tests.conftest import ROOT

README = ROOT / "README.md"
FENCE = re.compile(
    r"^(?P<indent>[ ]*)```(?P<lang>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.MULTILINE | re.DOTALL
)
SNIPPET_TIMEOUT = 300


@dataclass(frozen=True)
class Block:
    lang: str
    line: int
    code: str


def blocks(text: str) -> list[Block]:
    """Every fenced block of ``text``: its language tag, the line of its opening fence, its dedented code."""
    return [
        Block(m["lang"].strip(), text.count("\n", 0, m.start()) + 1, dedent(m["body"])) for m in FENCE.finditer(text)
    ]


PYTHON = [b for b in blocks(README.read_text()) if b.lang == "python"]


def run(block: Block, workdir: Path) -> subprocess.CompletedProcess[str]:
    workdir.mkdir()
    script = workdir / "snippet.py"
    script.write_text(block.code)
    # As `cdk synth` runs an app: CDK_OUTDIR tells app.synth() where to write (else a temporary directory).
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "CDK_OUTDIR": str(workdir / "cdk.out")}
    env.setdefault("JSII_NODE", str(ROOT / "node_modules" / ".bin" / "node"))
    return subprocess.run(
        [sys.executable, script.name],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=SNIPPET_TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, subprocess.CompletedProcess[str]]]:
    """Run every Python block once, concurrently; keyed by the line of its fence."""
    root = tmp_path_factory.mktemp("readme")
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {b.line: (root / f"line{b.line}", pool.submit(run, b, root / f"line{b.line}")) for b in PYTHON}
        return {line: (workdir, future.result()) for line, (workdir, future) in futures.items()}


def test_the_readme_has_a_complete_app_for_each_feature():
    # A guard on the extraction itself: losing blocks must fail, not pass silently.
    code = "\n".join(b.code for b in PYTHON)
    assert len(PYTHON) >= 6
    for feature in ("grant_invoke", "auto_scale_inference_units", "alarm_when_idle", "from_endpoint_name"):
        assert feature in code
    assert "configure_provider" in code and "class NlpStack(cdk.Stack)" in code


def test_no_python_hides_in_an_untagged_block():
    others = [b for b in blocks(README.read_text()) if b.lang != "python"]
    for block in others:
        assert not re.search(r"^\s*(import aws_cdk|from cdk_comprehend_endpoint|from aws_cdk)", block.code, re.M), (
            f"README.md line {block.line}: Python in a ```{block.lang} block is not run; tag it python"
        )


@pytest.mark.parametrize("block", PYTHON, ids=[f"line{b.line}" for b in PYTHON])
def test_readme_python_block_runs_as_written(block, results):
    # GIVEN a README block WHEN run as a script in an empty directory THEN it exits 0 and synthesizes a stack
    workdir, result = results[block.line]
    assert result.returncode == 0, f"README.md line {block.line}:\n{result.stderr[-3000:]}"
    assert list((workdir / "cdk.out").glob("*.template.json")), f"README.md line {block.line}: no template"


# The README's table of the native types: property -> cell per type ("required", "optional ...", "—").
NATIVE_COLUMNS = {
    "CfnDocumentClassifierEndpoint": comprehend.CfnDocumentClassifierEndpointProps,
    "CfnEntityRecognizerEndpoint": comprehend.CfnEntityRecognizerEndpointProps,
}


def native_table() -> tuple[list[str], dict[str, list[str]]]:
    """Header and rows (by property) of the README table whose header names both native types."""
    lines = README.read_text().splitlines()
    for index, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "property" and all(f"`{name}`" in cells for name in NATIVE_COLUMNS):
            rows: dict[str, list[str]] = {}
            for row in lines[index + 2 :]:
                if not row.startswith("|"):
                    break
                values = [c.strip() for c in row.strip().strip("|").split("|")]
                rows[values[0].strip("`")] = values
            return cells, rows
    raise AssertionError("README.md has no property table of the native endpoint types")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.parametrize("cfn_class", sorted(NATIVE_COLUMNS))
def test_readme_native_type_properties_match_the_installed_aws_cdk_lib(cfn_class):
    # GIVEN the README's property table and the installed L1 props class
    header, rows = native_table()
    column = header.index(f"`{cfn_class}`")
    parameters = inspect.signature(NATIVE_COLUMNS[cfn_class]).parameters
    # THEN each claimed property is there (required or optional) or absent ("—"), as the README says ...
    for prop, cells in rows.items():
        claim = cells[column].split()[0]
        parameter = parameters.get(snake(prop))
        actual = (
            "—" if parameter is None else "required" if parameter.default is inspect.Parameter.empty else "optional"
        )
        assert claim == actual, f"README says {cfn_class} {prop}: {claim}; aws-cdk-lib has: {actual}"
    # ... and the table leaves none of the type's properties out
    assert {snake(p) for p in rows} >= set(parameters)
