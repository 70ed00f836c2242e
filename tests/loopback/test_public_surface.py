"""Loopback tier: the rehearsal's public surface: the names ``comprehend_loopback.__all__`` promises resolve
to the CLI and the report and drill types, and nothing of the loopback world's test knobs is among them."""

from __future__ import annotations

import subprocess
import sys

import pytest

import comprehend_loopback
from comprehend_loopback import drill, rehearse

PUBLIC = {
    "main": rehearse.main,
    "Rehearsal": rehearse.Rehearsal,
    "Report": rehearse.Report,
    "Quotas": rehearse.Quotas,
    "Peaks": rehearse.Peaks,
    "Replacement": rehearse.Replacement,
    "Change": rehearse.Change,
    "DrillResult": drill.DrillResult,
    "Scenario": drill.Scenario,
}


def test_the_public_names_are_the_cli_and_the_report_and_drill_types():
    # GIVEN the package's __all__
    # THEN it names the CLI, the rehearsal, its report and drill types and the version, nothing else
    assert set(comprehend_loopback.__all__) == {*PUBLIC, "__version__"}
    # AND each resolves, from the package, to the object its module defines
    for name, defined in PUBLIC.items():
        assert getattr(comprehend_loopback, name) is defined, name


def test_fault_injection_is_not_public():
    # GIVEN the package WHEN a test knob is asked for by name THEN the package has no such public name
    assert "Faults" not in comprehend_loopback.__all__
    with pytest.raises(AttributeError, match="has no attribute 'Faults'"):
        _ = comprehend_loopback.Faults
    # AND the knobs live in a private module (its name starts with an underscore)
    from comprehend_loopback._faults import Faults

    assert Faults.__module__ == "comprehend_loopback._faults"


def test_importing_the_package_loads_neither_the_rehearsal_nor_boto3():
    # GIVEN a fresh interpreter WHEN it imports the package and one internal module
    script = (
        "import sys, comprehend_loopback, comprehend_loopback.clock; "
        "print(sorted(m for m in ('boto3', 'trustme', 'comprehend_loopback.rehearse') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    # THEN none of them is loaded: the public names are imported when first used
    assert result.stdout.strip() == "[]"
