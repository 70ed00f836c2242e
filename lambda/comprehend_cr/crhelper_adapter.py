"""Every place the handler changes crhelper's ``CfnResource``, in one class.

crhelper (pinned at 2.0.12) gives the handler its request dispatch (``create``/``update``/``delete``), its
JSON log records carrying the request's identifiers, and a timer that fires half a second before Lambda
kills the invocation. The handler keeps those and changes what crhelper does with them, each change below
naming what crhelper does and why the handler does otherwise:

- ``__init__``: crhelper logs at DEBUG by default (its records then hold the raw event, pre-signed
  ResponseURL included) and sleeps 120 s before answering every Delete (``sleep_on_delete``) so that its
  own logs reach CloudWatch. Here its loggers are held at INFO or above and a Delete is never delayed.
- ``begin_invocation``: crhelper keeps the last request's event, ResponseURL, physical id and ``Data`` on
  the instance, which Lambda reuses across invocations. Every invocation starts from a clean slate.
- ``_cfn_response``: crhelper answers every request it dispatched and makes up a random physical id
  (``generate_physical_id``) when the handler returns none. Here an answer can be withheld (the request
  goes on in another invocation, or CloudFormation no longer waits for it) and no id is ever made up.
- ``_timeout``: crhelper's timer answers FAILED from its own thread while the main thread may still be
  about to create an endpoint and answer SUCCESS (orphaning the endpoint the FAILED answer did not name).
  Here the timer only marks the invocation abandoned; the subclass stops calling AWS and raises, and Lambda
  runs the event again.
- ``_send``: crhelper answers with a body it builds itself (reason cut to 256 characters from its end, no
  size limit on ``Data``), through a sender that logs the ResponseURL at DEBUG and retries forever, and may
  answer twice (its timer and the main thread). Here at most one answer leaves an invocation, never once it
  is abandoned, built and sent by the subclass (``deliver``). This is also the answer to crhelper's own
  failures: an exception escaping the dispatch, and an initialization that failed (crhelper then answers
  FAILED without dispatching, with no physical id set).

crhelper's polling (``poll_create`` and friends: an EventBridge rule and a Lambda permission created per
request) is not used: nothing is registered for it, so crhelper creates neither. Waiting longer than one
invocation is done by the subclass instead (it invokes its own function with the progress so far).

``tests/unit/test_crhelper_contract.py`` fails when a crhelper behaviour these overrides rely on changes.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from crhelper import CfnResource

logger = logging.getLogger(__name__)

CRHELPER_LOGGER = "crhelper"
"""The parent of crhelper's module loggers (``crhelper.resource_helper``, ``crhelper.utils``)."""
OVERRIDDEN = ("__init__", "__call__", "_cfn_response", "_timeout", "_send")
"""The crhelper methods this adapter replaces or wraps (the contract test checks each still exists)."""
CRHELPER_STATE = ("_event", "_context", "_response_url", "PhysicalResourceId", "Data", "Reason", "Status")
"""The per-request attributes crhelper sets (in ``_crhelper_init``) and this adapter reads or resets."""


class AdaptedCfnResource(CfnResource):
    """crhelper's ``CfnResource`` with the handler's overrides (see module doc).

    A subclass implements :meth:`handle` (every request type), :meth:`fallback_physical_id` and
    :meth:`deliver`, calls :meth:`begin_invocation` before ``super().__call__``, and calls
    :meth:`withhold_answer` when the invocation must not answer.
    """

    # Set by crhelper for every request (not declared in its type stubs).
    _event: dict[str, Any]
    _context: Any
    _response_url: str
    # Set by ``begin_invocation`` at the start of every invocation.
    _withheld: bool
    """This invocation sends no answer (the request goes on elsewhere, or nobody waits for it)."""
    _answered_here: bool
    """This invocation has sent its answer (guarded by ``_answer_lock``)."""
    _abandoned: bool
    """crhelper's timer fired: this invocation makes no further call and sends no answer of its own."""

    def __init__(self, *, log_level: str) -> None:
        super().__init__(json_logging=True, log_level=log_level, boto_level="WARNING", sleep_on_delete=0)
        # crhelper logs the raw event and the ResponseURL at DEBUG: never let those records through.
        logging.getLogger(CRHELPER_LOGGER).setLevel(max(logging.INFO, logging.getLevelName(log_level)))
        self._answer_lock = threading.Lock()
        self.begin_invocation()
        self.create(self.handle)
        self.update(self.handle)
        self.delete(self.handle)

    # --- what a subclass provides ---------------------------------------------------------

    def handle(self, event: dict[str, Any], context: Any) -> str | None:
        """The request's work (crhelper calls it for Create, Update and Delete): the physical id to answer
        with; an exception makes crhelper answer FAILED with ``str(exception)`` as the reason."""
        raise NotImplementedError

    def fallback_physical_id(self, event: dict[str, Any]) -> str:
        """The physical id to answer with when neither the handler nor the event gives one."""
        raise NotImplementedError

    def deliver(self, *, status: str, reason: str, physical_id: str) -> None:
        """Build and send the one answer of this invocation to ``self._response_url``."""
        raise NotImplementedError

    # --- what a subclass calls ------------------------------------------------------------

    def begin_invocation(self) -> None:
        """Forget the previous invocation: crhelper's per-request state and the adapter's flags."""
        self._withheld = False
        self._abandoned = False
        self._answered_here = False
        self._event, self._context, self._response_url = {}, None, ""
        self.PhysicalResourceId, self.Data, self.Reason = "", {}, ""

    def withhold_answer(self) -> None:
        """This invocation answers nothing (crhelper would answer every request it dispatched)."""
        self._withheld = True

    @property
    def abandoned(self) -> bool:
        """crhelper's last-second timer fired during this invocation."""
        return self._abandoned

    # --- crhelper overrides ---------------------------------------------------------------

    def _cfn_response(self, event: dict[str, Any]) -> None:
        """crhelper: fill in a missing physical id (the event's, else a random one), then ``_send``.
        Here: answer unless withheld; the physical id is settled in ``_send``, never made up."""
        if self._withheld:
            return
        self._send()

    def _timeout(self) -> None:
        """crhelper: answer FAILED "Execution timed out" from the timer's thread. Here: mark the
        invocation abandoned, answer nothing (see module doc)."""
        self._abandoned = True
        logger.error(
            {
                "message": "invocation about to be killed while still working: abandoned without an answer, "
                "Lambda's retry of this event resumes the request",
                "RequestId": self._event.get("RequestId"),
            }
        )

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        """crhelper: build the body from its attributes (``status``/``reason`` override ``Status``/``Reason``)
        and PUT it with ``send_response``. Here: at most once per invocation, never once abandoned, never
        without this invocation's own ResponseURL; crhelper's ``send_response`` is ignored (``deliver``)."""
        with self._answer_lock:
            if self._abandoned or self._answered_here or not self._response_url:
                logger.error(
                    {
                        "message": "answer suppressed",
                        "Abandoned": self._abandoned,
                        "RequestId": str(self._event.get("RequestId")),
                    }
                )
                return
            self._answered_here = True
        final_status = status or self.Status
        final_reason = reason if status else self.Reason
        # crhelper answers some failures itself (its initialization failed): with no physical id set.
        physical_id = self.PhysicalResourceId or self._event.get("PhysicalResourceId")
        self.deliver(
            status=final_status,
            reason=final_reason,
            physical_id=str(physical_id or self.fallback_physical_id(self._event)),
        )
