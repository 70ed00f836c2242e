"""Synth tier: ``make docs`` renders the API reference from the library's docstrings.

The target runs pdoc (pinned in the dev extra) over ``cdk_comprehend_endpoint`` into a directory given as
``DOCS_DIR``, offline. The reference must hold a section for each public class a CDK user reaches for, with
its docstring, and must not document the private modules (their names start with an underscore).
"""

from __future__ import annotations

import html
import inspect
import os
import re
import subprocess
from pathlib import Path

import pytest

import cdk_comprehend_endpoint
from tests.conftest import ROOT

PUBLIC = ("ComprehendEndpoint", "IComprehendEndpoint", "ScalableInferenceUnits", "ModelType")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page ``make docs`` writes for the package, into a temporary DOCS_DIR."""
    out = tmp_path_factory.mktemp("api") / "docs"
    # No AWS credentials and no proxy are needed: hide any, so a network call would fail rather than pass.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and "proxy" not in k.lower()}
    result = subprocess.run(
        ["make", "--no-print-directory", "docs", f"DOCS_DIR={out}"],
        cwd=ROOT,
        env={**env, "AWS_EC2_METADATA_DISABLED": "true"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return out / "cdk_comprehend_endpoint.html"


def test_make_docs_writes_a_section_for_each_public_class(reference):
    # GIVEN the reference `make docs` wrote
    html = reference.read_text()
    # THEN each public class has its own anchored section ...
    for name in PUBLIC:
        assert f'id="{name}"' in html, f"no section for {name}"
    # ... with the methods users call, documented from their docstrings
    for member in (
        "IComprehendEndpoint.grant_invoke",
        "ComprehendEndpoint.from_endpoint_name",
        "ComprehendEndpoint.configure_provider",
        "ScalableInferenceUnits.scale_on_utilization",
    ):
        assert f'id="{member}"' in html, f"no entry for {member}"


def test_make_docs_renders_each_public_class_from_its_docstring(reference):
    # GIVEN the reference as text (tags stripped, whitespace collapsed)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", reference.read_text())).split())
    for name in PUBLIC:
        # THEN the first words of the class's docstring are there (double backticks become code, so compare words)
        first = inspect.getdoc(getattr(cdk_comprehend_endpoint, name)) or ""
        words = " ".join(first.replace("`", "").split()[:4])
        assert words and words in text, f"{name}: {words!r} not in the reference"


def test_make_docs_documents_only_the_public_package(reference):
    # GIVEN the output directory of `make docs`
    pages = sorted(p.name for p in reference.parent.rglob("*.html"))
    # THEN it holds the package's page (and pdoc's index), and no page of a private module
    assert "cdk_comprehend_endpoint.html" in pages
    assert not [p for p in pages if re.search(r"(^|/)_[a-z]", p)], pages
    assert "cdk_comprehend_endpoint/_" not in reference.read_text()
