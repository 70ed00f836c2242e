"""Integration tests on a real account: the integ-runner app, its committed snapshot, and the real run.

- ``integ_comprehend_endpoint.py``: the app (``IntegTest`` with ``AwsApiCall`` assertions).
- ``integ_comprehend_endpoint.py.snapshot/``: what that app synthesizes, committed; ``make test``
  compares it with a fresh synthesis, offline; ``make integ-snapshot`` rewrites it.
- ``snapshot.py`` and ``deploy.py``: synthesis and comparison, and the run on a real account
  (``make integ-deploy``).
"""
