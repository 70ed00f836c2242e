"""``comprehend-endpoint-rehearse`` and the loopback AWS it plays your stacks on.

Shipped as its own distribution, ``cdk-comprehend-endpoint-rehearse`` (built from ``loopback/``), not in
the construct's wheel. Nothing here talks to real AWS.

Public, with the same compatibility promise as the construct (the names in ``__all__``):

- the command ``comprehend-endpoint-rehearse`` (:func:`main`, its options and exit status);
- what a rehearsal reports: :class:`Rehearsal` (``run()`` gives a :class:`Report`, ``drill()`` the
  :class:`DrillResult` of each :class:`Scenario`), and the report's parts :class:`Quotas`,
  :class:`Peaks`, :class:`Replacement` and :class:`Change`.

Everything else is internal, with no stability promise: the loopback world the project's tests,
``make bench`` and ``make demo`` also use, and its test knobs (fault injection lives in the private
:mod:`comprehend_loopback._faults`):

- :mod:`.clock`: a virtual clock, so a 20-minute create runs in milliseconds;
- :mod:`.comprehend`: the endpoint model (statuses over time, tokens, name conflicts, quotas);
- :mod:`.server`: an HTTP server speaking Comprehend's JSON protocol, Lambda's Invoke and
  AddPermission/RemovePermission, and EventBridge's rule APIs;
- :mod:`.receiver`: an HTTPS receiver for pre-signed (SigV4-shaped) ResponseURLs, with a test CA;
- :mod:`.stacks`: CloudFormation's view of its stacks and resources (statuses and their times), which
  the server's DescribeStacks/DescribeStackResource (:mod:`.cfnquery`) answer from;
- :mod:`.cloudformation`: a driver that plays CloudFormation (with its real timing: send times,
  cancellations, re-sent requests) and Lambda's async invocation.

The public names are imported when first used, so ``import comprehend_loopback.clock`` (say) loads
neither the rehearsal nor boto3.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from comprehend_loopback.drill import DrillResult, Scenario
    from comprehend_loopback.rehearse import Change, Peaks, Quotas, Rehearsal, Replacement, Report, main

__version__ = "0.3.0.dev0"
"""Always the construct's version (``cdk_comprehend_endpoint.__version__``): the two distributions are
released together, and tests/synth/test_release_files.py fails when they differ."""

_PUBLIC = {
    "main": "rehearse",
    "Rehearsal": "rehearse",
    "Report": "rehearse",
    "Quotas": "rehearse",
    "Peaks": "rehearse",
    "Replacement": "rehearse",
    "Change": "rehearse",
    "DrillResult": "drill",
    "Scenario": "drill",
}

__all__ = [
    "Change",
    "DrillResult",
    "Peaks",
    "Quotas",
    "Rehearsal",
    "Replacement",
    "Report",
    "Scenario",
    "__version__",
    "main",
]


def __getattr__(name: str) -> object:
    """The public names, from the module that defines them (PEP 562)."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
