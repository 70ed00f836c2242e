"""Create, update and delete of one Comprehend endpoint, resumable across Lambda invocations.

:class:`Lifecycle` turns one delivery of a CloudFormation request into an
:class:`~comprehend_cr.outcome.Outcome`. It polls ``DescribeEndpoint`` at most once per ``POLL_FIRST_S``
seconds (backing off to ``POLL_MAX_S``), never starts an API call or a sleep that could outlast the
invocation (see :mod:`comprehend_cr.budget`), and when the endpoint is still busy it returns ``PENDING``
with a :class:`~comprehend_cr.progress.Progress` from which the next invocation resumes. Every mutating call
is made at most once per phase, so a resumed or repeated invocation never creates a second endpoint.

Promises (docs/design.md §4, §4b and §4c):

- SUCCESS only for an endpoint that is ``IN_SERVICE`` with the desired values;
- a failure after an endpoint exists answers with that endpoint's ARN (or removes it), so nothing keeps
  billing;
- every endpoint created carries the ownership tags of :mod:`comprehend_cr.ownership`, and an endpoint is
  changed or deleted only when those tags name this stack and this logical resource; a name held by anything
  else fails naming the conflict and leaves it untouched; the ARN CreateEndpoint answers with must be the one
  the request names (a ClientRequestToken shared with another resource fails, touching nothing);
- an endpoint of the desired name that this resource already owns (the old endpoint met again by a rollback,
  a retried replacement) is taken back instead of created a second time; a Create never takes back one its
  resource kept on purpose (``RemovalPolicy: Retain``);
- deadlines run on CloudFormation's clock (the ResponseURL's ``X-Amz-Date``); a Create or Update reads its
  stack (:mod:`comprehend_cr.watch`) before it creates or changes anything and before it answers: once
  CloudFormation no longer waits for it, it creates nothing more, deletes what it created, and answers
  nothing (an answer would land on the object a newer delivery of the same request is answered through);
- every Update and Delete deletes the resource's strays (:mod:`comprehend_cr.sweep`);
- "gone" is told from "not ours" even when IAM answers AccessDenied for both, so a Delete of a vanished
  endpoint still succeeds at once;
- bad input fails at once naming the property.
"""

from __future__ import annotations

from comprehend_cr import diffs
from comprehend_cr.delete import Deleting
from comprehend_cr.engine import CLEANUP_RESERVE_S, DEADLINE_MARGIN_S, INVOCATION_MARGIN_S, POLL_FIRST_S, POLL_MAX_S
from comprehend_cr.outcome import Outcome
from comprehend_cr.progress import Progress
from comprehend_cr.request import Request, failed_create_marker
from comprehend_cr.update import Updating

__all__ = [
    "CLEANUP_RESERVE_S",
    "DEADLINE_MARGIN_S",
    "INVOCATION_MARGIN_S",
    "POLL_FIRST_S",
    "POLL_MAX_S",
    "Lifecycle",
    "Request",
    "created_units",
    "endpoint_changes",
    "failed_create_marker",
    "served_units",
    "target_units",
]


class Lifecycle(Updating, Deleting):
    """One request, dispatched to its type's steps; built as an :class:`~comprehend_cr.engine.Engine` (the
    invocation's end, the abandonment check and the CloudFormation client are given there)."""

    def run(self, request: Request, progress: Progress | None = None) -> Outcome:
        """Advance ``request`` from ``progress`` (None for the first invocation)."""
        state = progress or Progress(started=self._clock.now())
        self.current = state
        if request.request_type == "Create":
            return self._create(request, state)
        if request.request_type == "Update":
            return self._update(request, state)
        if request.request_type == "Delete":
            return self._delete(request, state)
        return Outcome.failed(
            request.physical_id or failed_create_marker(request.logical_id),
            f"RequestType: unsupported value {request.request_type!r}",
        )


# The pure functions a reader looks for here (they live in ``diffs``).
endpoint_changes = diffs.endpoint_changes
target_units = diffs.target_units
created_units = diffs.created_units
served_units = diffs.served_units
