"""Unit tier: the crhelper behaviour that ``comprehend_cr.crhelper_adapter`` relies on, pinned on crhelper itself.

The adapter overrides crhelper's private methods and reads its private attributes; a crhelper release that
renamed one, changed a signature, moved its timer, stopped routing a failure through ``_send``, or started
to poll on its own would break the handler silently. Each ``check_*`` function states one such behaviour
and runs it against a crhelper class (the installed one in the ``test_crhelper_*`` tests); the
``test_the_contract_notices_*`` tests run the same checks against a crhelper changed in that one place and
expect them to fail, so that no check can pass whatever crhelper does.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from typing import Any, ClassVar

import crhelper.resource_helper as resource_helper
import crhelper.utils as crhelper_utils
import pytest
from crhelper import CfnResource

from comprehend_cr import crhelper_adapter
from comprehend_cr.response import build_body
from comprehend_cr.runtime import PROGRESS_KEY
from tests.unit.crhelper_stubs import RESPONSE_URL, Context, event

POLLING_KEYS = {"CrHelperPoll", "CrHelperData", "CrHelperRule", "CrHelperPermission"}
"""The event keys crhelper's polling reads and writes."""


class FakeTimer:
    """Stands in for ``threading.Timer`` in crhelper's module: records what would have been armed."""

    armed: ClassVar[list[FakeTimer]] = []

    def __init__(self, interval: float, function: Any) -> None:
        self.interval, self.function, self.cancelled, self.started = interval, function, False, False
        FakeTimer.armed.append(self)

    def start(self) -> None:
        self.started = True

    def cancel(self) -> None:
        self.cancelled = True


@pytest.fixture(autouse=True)
def no_real_timers_or_clients(monkeypatch):
    """No crhelper timer thread and no boto3 client is created (AWS_SAM_LOCAL skips crhelper's clients), and
    the root logger crhelper reconfigures is put back as it was."""
    FakeTimer.armed = []
    monkeypatch.setattr(threading, "Timer", FakeTimer)
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    level, formatters = logging.root.level, [(h, h.formatter) for h in logging.root.handlers]
    yield
    logging.root.setLevel(level)
    for handler, formatter in formatters:
        handler.setFormatter(formatter)


def recording(base: type[CfnResource]) -> type[CfnResource]:
    """``base`` with ``_send`` recording its arguments and the state crhelper set, instead of answering."""

    class Recording(base):  # type: ignore[valid-type,misc]
        sent: list[dict[str, Any]]

        def _send(self, status=None, reason="", send_response=None):
            self.sent.append(
                {
                    "status": status,
                    "reason": reason,
                    "Status": self.Status,
                    "Reason": self.Reason,
                    "PhysicalResourceId": self.PhysicalResourceId,
                    "event": self._event,
                    "context": self._context,
                    "response_url": self._response_url,
                }
            )

    return Recording


def resource(base: type[CfnResource], **kwargs: Any) -> Any:
    instance: Any = recording(base)(json_logging=True, log_level="INFO", sleep_on_delete=0, **kwargs)
    instance.sent = []
    return instance


# --- the checks -------------------------------------------------------------------------------


def check_overridden_methods_keep_their_signatures(cls: type) -> None:
    """Every method the adapter overrides exists on crhelper with the parameters the adapter's takes."""
    expected = {
        "__init__": ["self", "json_logging", "log_level", "boto_level", "polling_interval", "sleep_on_delete"],
        "__call__": ["self", "event", "context"],
        "_cfn_response": ["self", "event"],
        "_timeout": ["self"],
        "_send": ["self", "status", "reason", "send_response"],
    }
    assert set(expected) == set(crhelper_adapter.OVERRIDDEN)
    for name, parameters in expected.items():
        method = cls.__dict__.get(name)
        assert method is not None, f"crhelper's CfnResource no longer defines {name}"
        assert list(inspect.signature(method).parameters)[: len(parameters)] == parameters, name


def check_a_request_sets_the_state_the_adapter_reads_then_answers_through_cfn_response(cls: type) -> None:
    """crhelper sets ``_event``, ``_context``, ``_response_url``, ``Status`` and the handler's return value as
    ``PhysicalResourceId`` before it calls ``_cfn_response`` (which the adapter replaces) exactly once."""
    seen: list[dict[str, Any]] = []

    class Probe(cls):  # type: ignore[misc]
        def _cfn_response(self, event):
            seen.append({name: getattr(self, name) for name in crhelper_adapter.CRHELPER_STATE} | {"event": event})

    probe = resource(Probe)
    probe.create(lambda e, c: "physical-1")
    context, create = Context(), event()
    probe(create, context)
    assert len(seen) == 1 and probe.sent == []
    assert seen[0]["_event"] is create and seen[0]["event"] is create and seen[0]["_context"] is context
    assert seen[0]["_response_url"] == RESPONSE_URL
    assert (seen[0]["Status"], seen[0]["Reason"], seen[0]["PhysicalResourceId"]) == ("SUCCESS", "", "physical-1")


def check_a_handler_exception_is_a_failed_status_with_its_text(cls: type) -> None:
    """An exception from the handler becomes ``Status`` FAILED and ``Reason`` ``str(exception)``, answered
    through ``_cfn_response`` then ``_send()`` (the runtime's ``ResourceFailed`` relies on it)."""
    probe = resource(cls)

    def fail(e: Any, c: Any) -> str:
        raise RuntimeError("ModelArn: not found")

    probe.update(fail)
    probe(event("Update", PhysicalResourceId="arn:old"), Context())
    assert [(s["status"], s["Status"], s["Reason"]) for s in probe.sent] == [(None, "FAILED", "ModelArn: not found")]


def check_an_exception_outside_the_handler_is_answered_through_send(cls: type) -> None:
    """An exception escaping crhelper's own steps (here ``_cfn_response``) is answered ``_send(FAILED, text)``."""

    class Broken(cls):  # type: ignore[misc]
        def _cfn_response(self, event):
            raise ValueError("boom")

    probe = resource(Broken)
    probe.create(lambda e, c: "physical-1")
    probe(event(), Context())
    assert [(s["status"], s["reason"]) for s in probe.sent] == [("FAILED", "boom")]


def check_a_failed_initialization_answers_failed_without_dispatching(cls: type) -> None:
    """After ``init_failure``, a request is answered ``_send(FAILED, str(error))`` with the event in place and
    no physical id set, and the handler is not called (the adapter's ``_send`` then takes the event's id,
    else the fallback)."""
    probe = resource(cls)
    called: list[str] = []
    probe.delete(lambda e, c: called.append("delete"))
    probe.init_failure(RuntimeError("no region"))
    delete = event("Delete", PhysicalResourceId="arn:kept")
    probe(delete, Context())
    assert called == []
    assert [(s["status"], s["reason"], s["PhysicalResourceId"], s["event"]) for s in probe.sent] == [
        ("FAILED", "no region", "", delete)
    ]


def check_the_timer_fires_timeout_half_a_second_before_the_end_and_is_cancelled(cls: type) -> None:
    """crhelper arms ``threading.Timer(remaining - 0.5 s, self._timeout)`` per request and cancels it once the
    request is answered: the adapter's ``_timeout`` is what it fires, and the lifecycle's own budget keeps its
    work clear of that half second."""
    probe = resource(cls)
    probe.create(lambda e, c: "physical-1")
    probe(event(), Context(remaining_ms=42_000))
    assert [(t.interval, t.function, t.started, t.cancelled) for t in FakeTimer.armed] == [
        (41.5, probe._timeout, True, True)
    ]


def check_a_delete_is_not_delayed_with_sleep_on_delete_0(cls: type) -> None:
    """crhelper sleeps ``sleep_on_delete`` seconds before answering a Delete only when that is over 1 s."""
    probe = resource(cls)
    probe._context = Context(remaining_ms=900_000)
    slept: list[float] = []
    probe._wait_for_cwlogs(sleep=slept.append)
    assert slept == []
    probe._sleep_on_delete = 120  # the check itself can see a sleep: crhelper's default does sleep
    probe._wait_for_cwlogs(sleep=slept.append)
    assert slept == [120]


def check_no_polling_without_poll_handlers(cls: type) -> None:
    """With no ``poll_*`` handler registered (the adapter registers none), crhelper creates no EventBridge rule
    or Lambda permission and answers at once; an event carrying ``CrHelperPoll`` would be dispatched to the
    poll handler instead, so the runtime's continuation key must not be one of crhelper's polling keys."""
    probe = resource(cls)
    probe._sam_local = None  # crhelper would poll (it skips polling only for a SAM local invocation)
    polled: list[str] = []
    probe._setup_polling = lambda: polled.append("set up")
    probe._remove_polling = lambda: polled.append("removed")
    probe.create(lambda e, c: "physical-1")
    probe(event(), Context())
    assert polled == []
    assert [(s["status"], s["Status"], s["PhysicalResourceId"]) for s in probe.sent] == [
        (None, "SUCCESS", "physical-1")
    ]
    assert PROGRESS_KEY not in POLLING_KEYS
    probe._event = event(CrHelperPoll=True)
    assert probe._get_func() is None  # the poll handler, not create's


def check_polling_schedules_a_rule_the_loopback_can_run(cls: type) -> None:
    """crhelper's polling (not used by the handler, modelled by the loopback's EventBridge) puts a rule of
    ``rate(N minutes)`` whose target's input is the event with crhelper's polling keys. (This tier runs with the
    handler's dependencies only, on a newer Python too: nothing here imports the loopback.)"""
    probe = resource(cls, polling_interval=2)
    calls: list[tuple[str, dict[str, Any]]] = []

    class Client:
        def __getattr__(self, operation: str) -> Any:
            def call(**kwargs: Any) -> dict[str, Any]:
                calls.append((operation, kwargs))
                return {"RuleArn": "arn:aws:events:us-east-1:111122223333:rule/EndpointABCDEFGH"}

            return call

    probe._events_client = probe._lambda_client = Client()
    probe._event, probe._context, probe.Data = event(), Context(), {}
    probe._setup_polling()
    rule = next(kwargs for operation, kwargs in calls if operation == "put_rule")
    # (tests/loopback/test_eventbridge_schedules.py checks that the loopback runs this schedule every 2 minutes)
    assert rule["ScheduleExpression"] == "rate(2 minutes)"
    targets = next(kwargs for operation, kwargs in calls if operation == "put_targets")["Targets"]
    assert set(json.loads(targets[0]["Input"])) >= POLLING_KEYS


def check_the_response_body_keys(cls: type) -> None:
    """crhelper's body has the keys the adapter's body has, plus ``NoEcho`` (which the handler never sets)."""
    sent: list[dict[str, Any]] = []
    probe = cls(json_logging=True, log_level="INFO", sleep_on_delete=0)
    probe._event, probe._response_url = event(), RESPONSE_URL
    probe._send("SUCCESS", "", send_response=lambda url, body, ssl_verify: sent.append(body))
    ours = json.loads(build_body(status="SUCCESS", reason="", physical_id="p", event=event(), data={}))
    assert set(sent[0]) == set(ours) | {"NoEcho"}


def check_crhelpers_loggers_are_below_the_one_the_adapter_pins() -> None:
    """crhelper's modules log under ``crhelper.*``, the logger the adapter holds at INFO or above."""
    names = {resource_helper.logger.name, crhelper_utils.logger.name}
    assert all(name.startswith(crhelper_adapter.CRHELPER_LOGGER + ".") for name in names), names


CHECKS = [
    check_overridden_methods_keep_their_signatures,
    check_a_request_sets_the_state_the_adapter_reads_then_answers_through_cfn_response,
    check_a_handler_exception_is_a_failed_status_with_its_text,
    check_an_exception_outside_the_handler_is_answered_through_send,
    check_a_failed_initialization_answers_failed_without_dispatching,
    check_the_timer_fires_timeout_half_a_second_before_the_end_and_is_cancelled,
    check_a_delete_is_not_delayed_with_sleep_on_delete_0,
    check_no_polling_without_poll_handlers,
    check_polling_schedules_a_rule_the_loopback_can_run,
    check_the_response_body_keys,
]


# --- the installed crhelper keeps the contract ---------------------------------------------------


def test_crhelper_is_the_pinned_version():
    # GIVEN the crhelper the handler is bundled with THEN it is the version these checks were written against
    import importlib.metadata

    assert importlib.metadata.version("crhelper") == "2.0.12"


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_crhelper_keeps_the_behaviour_the_adapter_relies_on(check):
    # GIVEN the installed crhelper WHEN the check runs THEN crhelper behaves as the adapter expects
    check(CfnResource)


def test_crhelper_logs_below_the_logger_the_adapter_pins():
    # GIVEN crhelper's module loggers THEN the adapter's INFO pin covers them
    check_crhelpers_loggers_are_below_the_one_the_adapter_pins()


# --- each check fails when crhelper changes there --------------------------------------------------


CRHELPER: Any = CfnResource
"""crhelper's class, for calling its private methods (not in its type stubs) from a changed copy."""


def changed(**members: Any) -> type[CfnResource]:
    """crhelper's ``CfnResource`` with ``members`` replaced (None: removed), as a new release might ship it."""
    namespace = {name: value for name, value in CfnResource.__dict__.items() if name not in ("__dict__", "__weakref__")}
    for name, value in members.items():
        if value is None:
            namespace.pop(name)
        else:
            namespace[name] = value
    return type("CfnResource", (object,), namespace)


def _renamed_send(self, status=None, reason="", sender=None):  # pragma: no cover - never called
    pass


def _timer_one_second_early(self):
    self._timer = threading.Timer(self._context.get_remaining_time_in_millis() / 1000.0 - 1.0, self._timeout)
    self._timer.start()


def _timer_answering_itself(self):
    self._timer = threading.Timer(self._context.get_remaining_time_in_millis() / 1000.0 - 0.5, self._send)
    self._timer.start()


def _send_with_a_new_key(self, status=None, reason="", send_response=None):
    body = {"Status": status or self.Status, "Reason": reason, "PhysicalResourceId": self.PhysicalResourceId}
    body |= {"StackId": "", "RequestId": "", "LogicalResourceId": "", "Data": {}, "NoEcho": False, "Version": 3}
    send_response(self._response_url, body, self._ssl_verify)


def _init_keeping_no_response_url(self, event, context):
    ready = CRHELPER._crhelper_init(self, event, context)
    self._response_url = ""
    return ready


def _init_failure_ignored(self, error):
    pass


def _always_polls(self):
    return True


def _cwlogs_sleeps_always(self, sleep=None):
    sleep(self._sleep_on_delete)


@pytest.mark.parametrize(
    ("check", "change"),
    [
        pytest.param(check_overridden_methods_keep_their_signatures, {"_timeout": None}, id="timeout-removed"),
        pytest.param(check_overridden_methods_keep_their_signatures, {"_send": _renamed_send}, id="send-renamed-arg"),
        pytest.param(
            check_the_timer_fires_timeout_half_a_second_before_the_end_and_is_cancelled,
            {"_set_timeout": _timer_one_second_early},
            id="timer-1s-early",
        ),
        pytest.param(
            check_the_timer_fires_timeout_half_a_second_before_the_end_and_is_cancelled,
            {"_set_timeout": _timer_answering_itself},
            id="timer-fires-send",
        ),
        pytest.param(check_the_response_body_keys, {"_send": _send_with_a_new_key}, id="body-with-a-new-key"),
        pytest.param(
            check_a_request_sets_the_state_the_adapter_reads_then_answers_through_cfn_response,
            {"_crhelper_init": _init_keeping_no_response_url},
            id="response-url-not-kept",
        ),
        pytest.param(
            check_a_failed_initialization_answers_failed_without_dispatching,
            {"init_failure": _init_failure_ignored},
            id="init-failure-ignored",
        ),
        pytest.param(check_no_polling_without_poll_handlers, {"_poll_enabled": _always_polls}, id="always-polls"),
        pytest.param(
            check_a_delete_is_not_delayed_with_sleep_on_delete_0,
            {"_wait_for_cwlogs": _cwlogs_sleeps_always},
            id="delete-always-sleeps",
        ),
    ],
)
def test_the_contract_notices_a_crhelper_that_changed(check, change):
    # GIVEN a crhelper changed in the one place the check is about
    modified = changed(**change)
    # WHEN the check runs against it THEN it fails
    with pytest.raises(AssertionError):
        check(modified)


def test_the_contract_notices_crhelper_logging_under_another_logger(monkeypatch):
    # GIVEN a crhelper whose module logs under a name outside "crhelper."
    monkeypatch.setattr(resource_helper, "logger", logging.getLogger("cfn_helper.resource"))
    # WHEN the check runs THEN it fails
    with pytest.raises(AssertionError):
        check_crhelpers_loggers_are_below_the_one_the_adapter_pins()
