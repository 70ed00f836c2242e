"""Probes: every assumption the project makes about AWS, checked on a real account (``make probe``).

- ``target.py``: what the probes act on (clients, clock, restricted principals, the shared endpoint,
  clean-up) and :class:`ProbeResult`.
- ``policies.py``: the construct's endpoint policy, for the roles the probes assume.
- ``probes.py``: one ``probe_xxx(target)`` per assumption, and ``PROBES``, their order.
- ``runner.py`` and ``__main__.py``: the run, the cost estimate and the report.

Offline, ``tests/probes`` runs every probe against the loopback world, where each must come out
"confirmed": that ties each loopback assumption to the probe that would refute it. See docs/probes.md.

The handler's contract (``lambda/comprehend_cr/contract.py``, standard library only) is imported as
``comprehend_cr.contract``: ``lambda/`` goes on ``sys.path`` here, as the tests' conftest does.
"""

import sys
from pathlib import Path

_HANDLER_DIR = str(Path(__file__).resolve().parents[2] / "lambda")
if _HANDLER_DIR not in sys.path:
    sys.path.insert(0, _HANDLER_DIR)
