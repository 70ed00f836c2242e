"""Probes: every assumption the project makes about AWS, checked on a real account (``make probe``).

- ``target.py``: what the probes act on (clients, clock, restricted principals, the shared endpoint,
  clean-up) and :class:`ProbeResult`.
- ``policies.py``: the construct's endpoint policy, for the roles the probes assume.
- ``probes.py``: one ``probe_xxx(target)`` per assumption, and ``PROBES``, their order.
- ``runner.py`` and ``__main__.py``: the run, the cost estimate and the report.

Offline, ``tests/probes`` runs every probe against the loopback world, where each must come out
"confirmed": that ties each loopback assumption to the probe that would refute it. See docs/probes.md.
"""
