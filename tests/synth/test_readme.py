"""Synth tier: the README and the documents in docs/ run as written (issue #9).

Every ```python block of README.md and of docs/*.md is a complete app. Each runs exactly as written (a block
inside a list item is dedented, as Markdown renders it) in a fresh Python process of this environment, in an
empty temporary directory, with jsii on the project's Node (``JSII_NODE``) and ``CDK_OUTDIR`` set as the CDK
CLI sets it, and must exit 0 having synthesized at least one template into ``cdk.out``. The blocks run
concurrently, one process each. Shell blocks are not run, and no Python may hide in one.

The README's table of the native endpoint types' properties is checked against the installed aws-cdk-lib, and
every README section the shipped code cites by title (the handler's refusal message names "Ownership tags") is
still a heading of the README. Every relative link of the README, docs/*.md, CONTRIBUTING.md and CHANGELOG.md
names a file of the repository and, with an anchor, one of its headings.
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
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]
"""Every Markdown document whose Python blocks must run: the README and docs/*.md."""
FENCE = re.compile(
    r"^(?P<indent>[ ]*)```(?P<lang>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.MULTILINE | re.DOTALL
)
SNIPPET_TIMEOUT = 300


@dataclass(frozen=True)
class Block:
    lang: str
    line: int
    code: str
    document: str = "README.md"

    @property
    def where(self) -> str:
        """The block's document (relative to the repository) and the line of its opening fence."""
        return f"{self.document} line {self.line}"

    @property
    def key(self) -> str:
        """A test id and directory name: ``README.md-line40``, ``docs-design.md-line70``."""
        return f"{self.document.replace('/', '-')}-line{self.line}"


def blocks(text: str, document: str = "README.md") -> list[Block]:
    """Every fenced block of ``text``: its language tag, the line of its opening fence, its dedented code."""
    return [
        Block(m["lang"].strip(), text.count("\n", 0, m.start()) + 1, dedent(m["body"]), document)
        for m in FENCE.finditer(text)
    ]


ALL = [b for path in DOCUMENTS for b in blocks(path.read_text(), path.relative_to(ROOT).as_posix())]
PYTHON = [b for b in ALL if b.lang == "python"]
README_PYTHON = [b for b in PYTHON if b.document == "README.md"]


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
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """Run every Python block once, concurrently; keyed by :attr:`Block.key`."""
    root = tmp_path_factory.mktemp("readme")
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {b.key: (root / b.key, pool.submit(run, b, root / b.key)) for b in PYTHON}
        return {key: (workdir, future.result()) for key, (workdir, future) in futures.items()}


def test_the_readme_has_a_complete_app_for_each_feature():
    # A guard on the extraction itself: losing blocks must fail, not pass silently.
    code = "\n".join(b.code for b in README_PYTHON)
    assert len(README_PYTHON) >= 4
    for feature in ("grant_invoke", "auto_scale_inference_units", "alarm_when_idle", "from_endpoint_name"):
        assert feature in code
    for feature in ("from_endpoint_arn", "from_endpoint_attributes", "metric_inference_utilization"):
        assert feature in code
    assert "configure_provider" in code and "class NlpStack(cdk.Stack)" in code


def test_the_docs_python_blocks_are_found():
    # A guard on the extraction from docs/: docs/design.md shows the construct's whole API as one app
    assert any(b.document == "docs/design.md" and "ComprehendEndpoint(" in b.code for b in PYTHON)


@pytest.mark.parametrize("block", [b for b in ALL if b.lang != "python"], ids=lambda b: b.key)
def test_no_python_hides_in_an_untagged_block(block):
    # GIVEN a block that is not tagged python THEN it holds no Python import of the CDK or of this library
    assert not re.search(r"^\s*(import aws_cdk|from cdk_comprehend_endpoint|from aws_cdk)", block.code, re.M), (
        f"{block.where}: Python in a ```{block.lang} block is not run; tag it python"
    )


@pytest.mark.parametrize("block", PYTHON, ids=lambda b: b.key)
def test_python_block_runs_as_written(block, results):
    # GIVEN a README or docs/ block WHEN run as a script in an empty directory THEN it exits 0 and synthesizes
    workdir, result = results[block.key]
    assert result.returncode == 0, f"{block.where}:\n{result.stderr[-3000:]}"
    assert list((workdir / "cdk.out").glob("*.template.json")), f"{block.where}: no template"


CITED = re.compile(r"""README's (?:'([^']+)'|"([^"]+)")""")


def cited_readme_sections() -> dict[str, str]:
    """Every README section the shipped code cites by title (``the README's 'Ownership tags'``), with where."""
    cited: dict[str, str] = {}
    for package in ("lambda", "loopback", "constructs"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for match in CITED.finditer(path.read_text()):
                cited[match[1] or match[2]] = path.relative_to(ROOT).as_posix()
    return cited


def test_every_readme_section_the_code_cites_is_a_heading_of_the_readme():
    # GIVEN the README sections the handler's messages and the loopback's docstrings send readers to
    cited = cited_readme_sections()
    assert "Ownership tags" in cited  # the handler's refusal of an endpoint that is not its own
    # THEN each is still a heading of the README, word for word
    headings = {m.strip() for m in re.findall(r"^#+ (.+)$", README.read_text(), re.M)}
    for title, where in cited.items():
        assert title in headings, f"{where} cites the README's {title!r}, which is no longer a README heading"


LINK = re.compile(r"\]\(([^)\s]+)\)")
LINKED_DOCUMENTS = [*DOCUMENTS, ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md"]


def heading_anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``path``: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", FENCE.sub("", path.read_text()), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("document", LINKED_DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves_to_a_file_and_heading(document):
    # GIVEN a document's links outside code (fenced blocks and `code` spans are not links)
    prose = re.sub(r"`[^`\n]*`", "", FENCE.sub("", document.read_text()))
    links = [link for link in LINK.findall(prose) if not re.match(r"[a-z]+:", link)]
    # THEN each names a file of the repository and, when it has one, a heading of that file
    for link in links:
        path, _, anchor = link.partition("#")
        target = (document.parent / path).resolve() if path else document
        assert target.exists(), f"{document.name}: {link} names no file"
        if anchor and target.suffix == ".md":
            assert anchor in heading_anchors(target), f"{document.name}: {link} names no heading"


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
