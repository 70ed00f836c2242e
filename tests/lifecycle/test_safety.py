"""Lifecycle tier: secrets in logs, response size and delivery, continuations that cannot happen."""

from __future__ import annotations

import logging

import pytest

from comprehend_loopback.cloudformation import LOG_GROUP, InvalidResponse, check_response
from tests.lifecycle.conftest import ARN, CLASSIFIER, assert_well_behaved, endpoint_count, props


def test_response_url_never_reaches_the_logs_even_at_debug(world, monkeypatch, caplog, capfd):
    # GIVEN the function configured to log at DEBUG, and every log record captured
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG)
    cfn = world.cloudformation()
    # WHEN an endpoint is created (two invocations), fails to update, and is deleted
    arn = cfn.create("Endpoint", props()).body["PhysicalResourceId"]
    cfn.update("Endpoint", arn, props(DesiredInferenceUnits="0"), props())
    cfn.delete("Endpoint", arn, props())
    # THEN neither the pre-signed URL nor its signature appears anywhere
    out, err = capfd.readouterr()
    text = caplog.text + out + err + "".join(str(r.msg) for r in caplog.records)
    assert "SECRET-SIGNATURE" not in text
    assert "cloudformation-custom-resource-response" not in text
    assert "ResponseURL" not in text
    # ... while status transitions are logged, as JSON with the logical id and the ARN
    transitions = [
        r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("message") == "endpoint status"
    ]
    assert {t["Status"] for t in transitions} >= {"CREATING", "IN_SERVICE", "DELETING", "GONE"}
    assert all(t["EndpointArn"] == ARN for t in transitions)


def test_failure_reason_points_to_the_log_group(world, cfn):
    # GIVEN the function logs to the construct's log group (its LoggingConfig), as Lambda's context reports
    answer = cfn.create("Endpoint", props(DesiredInferenceUnits="0"))
    # THEN a failure's reason ends naming that log group
    assert answer.body["Reason"].endswith(f" (log group {LOG_GROUP})")


def test_huge_service_message_keeps_the_response_under_4096_bytes(world, cfn):
    world.comprehend.add_model(CLASSIFIER, fails_with="x" * 20_000)
    answer = cfn.create("Endpoint", props())
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == ARN
    assert answer.raw_size < 4096


def test_response_delivery_is_retried_when_cloudformation_refuses(world, cfn):
    world.receiver.refuse_next = 2
    answer = cfn.create("Endpoint", props(DesiredInferenceUnits="0"))
    assert answer.body["Status"] == "FAILED"
    assert world.receiver.puts == 3


def test_response_delivery_gives_up_after_bounded_attempts(world, cfn):
    # GIVEN CloudFormation's URL refuses every PUT
    world.receiver.refuse_next = 1_000
    event = cfn.event("Create", "Endpoint", props(DesiredInferenceUnits="0"))
    cfn.submit(event)
    # WHEN the handler runs, THEN it stops trying (no endless loop) and nothing is left running
    with pytest.raises(AssertionError, match="nothing scheduled"):
        cfn.run([event["RequestId"]])
    assert world.receiver.puts == 5
    assert [i for i in cfn.invocations if i.timed_out] == []


def test_a_continuation_that_cannot_be_started_answers_failed_with_the_arn(world, cfn):
    # GIVEN the function may not invoke itself (a misconfigured policy)
    world.aws.faults.refuse_invoke = True
    # WHEN a create outlasts the first invocation
    answer = cfn.create("Endpoint", props())
    # THEN it answers FAILED in time, with the ARN, so that the rollback Delete removes the endpoint
    assert answer.body["Status"] == "FAILED"
    assert answer.body["PhysicalResourceId"] == ARN
    assert "continue" in answer.body["Reason"]
    world.aws.faults.refuse_invoke = False
    assert cfn.delete("Endpoint", ARN, props()).body["Status"] == "SUCCESS"
    assert endpoint_count(world) == 0
    assert_well_behaved(world, cfn)


def test_waiting_creates_no_eventbridge_rule_or_lambda_permission(world, cfn):
    arn = cfn.create("Endpoint", props()).body["PhysicalResourceId"]
    cfn.update("Endpoint", arn, props(DesiredInferenceUnits=2), props())
    cfn.delete("Endpoint", arn, props(DesiredInferenceUnits=2))
    assert [c for c in world.aws.calls if c.startswith(("events:", "lambda:AddPermission"))] == []
    assert world.aws.rules == {} and world.aws.permissions == {}


def test_the_last_second_timer_never_answers_and_the_retry_answers_once(world, cfn):
    # GIVEN CreateEndpoint blocks (1 s real) past the moment Lambda kills the invocation (0.3 s real)
    world.aws.faults.hang_real_s = {"CreateEndpoint": [1.0]}
    cfn.kill_next_invocations = 1
    event = cfn.event("Create", "Endpoint", props())
    # WHEN CloudFormation sends the Create
    answer = cfn.send(event)
    # THEN the killed invocation sent nothing (crhelper's timer fired while the call was in flight) and
    # made no call after it; Lambda's retry reached the same endpoint and answered once, with its ARN
    answers = world.receiver.answers[event["RequestId"]]
    assert [(a.body["Status"], a.body["PhysicalResourceId"]) for a in answers] == [("SUCCESS", ARN)]
    assert answer.body["Status"] == "SUCCESS"
    assert world.comprehend.creates == [ARN]
    first, retry = cfn.invocations[0], cfn.invocations[1]
    assert first.timed_out and retry.kind == "lambda-retry"
    assert [d for d in world.aws.describes if d[0] < retry.started] == []


def test_a_malformed_http_answer_to_the_response_put_is_retried(world, cfn):
    # GIVEN the response URL answers twice with something that is not HTTP (http.client.BadStatusLine)
    world.receiver.garble_next = 2
    # WHEN a request is answered
    answer = cfn.create("Endpoint", props(DesiredInferenceUnits="0"))
    # THEN the third PUT delivered it
    assert answer.body["Status"] == "FAILED"
    assert world.receiver.puts == 3
    assert [i for i in cfn.invocations if i.raised] == []


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("StackId", "arn:aws:cloudformation:us-east-1:111122223333:stack/other/2", "StackId is"),
        ("RequestId", "another", "RequestId is"),
        ("LogicalResourceId", "Other", "LogicalResourceId is"),
        ("Status", "DONE", "Status is 'DONE'"),
        ("PhysicalResourceId", "", "PhysicalResourceId is ''"),
        ("PhysicalResourceId", "x" * 1025, "PhysicalResourceId has 1025 bytes"),
        ("PhysicalResourceId", "é" * 513, "PhysicalResourceId has 1026 bytes"),
        ("Reason", "", "a FAILED answer has no Reason"),
    ],
)
def test_the_loopback_cloudformation_refuses_an_answer_it_would_not_accept(field, value, problem):
    # GIVEN a request, and an answer that differs from a valid one in one field
    event = {
        "StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1",
        "RequestId": "r",
        "LogicalResourceId": "E",
    }
    valid = {**event, "Status": "FAILED", "Reason": "why", "PhysicalResourceId": "id"}
    check_response(event, valid)
    check_response(event, {**valid, "PhysicalResourceId": "x" * 1024})  # 1 KB: the longest accepted
    # THEN that answer is refused, naming the field
    with pytest.raises(InvalidResponse, match=problem):
        check_response(event, {**valid, field: value})
