"""Lifecycle tier: a handler that crashes (a bug, not an API error) still answers, with a physical id
the rollback Delete can act on: the endpoint's ARN once CreateEndpoint may have been sent, the
failed-create marker before that. Nothing is orphaned either way."""

from __future__ import annotations

from typing import Any

import boto3

from comprehend_loopback.cloudformation import LOG_GROUP
from comprehend_loopback.world import default_handler_dir, load_index
from tests.lifecycle.conftest import ARN, FLYWHEEL, MARKER, RECOGNIZER, assert_well_behaved, endpoint_count, props


class CrashingOn:
    """The handler's Comprehend client, except that one operation raises a plain Python error (as a
    bug in the handler or in a library would), after carrying the call out when ``after_call``."""

    def __init__(self, client: Any, operation: str, *, after_call: bool = False) -> None:
        self._client = client
        self._operation = operation
        self._after_call = after_call

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if name != self._operation:
            return method

        def crash(**kwargs: Any) -> Any:
            if self._after_call:
                method(**kwargs)
            raise RuntimeError(f"bug while calling {name}")

        return crash


def crashing_cfn(world, operation, *, after_call=False):
    """A CloudFormation driver whose function's Comprehend client crashes at ``operation``."""
    index = load_index(default_handler_dir())

    def new_container():
        client = boto3.client("comprehend", config=index.BOTO_CONFIG)
        return index.build_handler(clock=world.clock, comprehend=CrashingOn(client, operation, after_call=after_call))

    return world.cloudformation(new_container)


def test_a_crash_before_create_endpoint_answers_the_arn_the_endpoint_would_have(world):
    # GIVEN a handler that crashes as it is about to send CreateEndpoint (the request may be out)
    cfn = crashing_cfn(world, "create_endpoint")
    # WHEN CloudFormation creates the resource
    answer = cfn.create("Endpoint", props())
    # THEN it answers FAILED with the endpoint's ARN, so that the rollback Delete looks for it
    assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("FAILED", ARN)
    assert "bug while calling create_endpoint" in answer.body["Reason"]
    assert world.comprehend.creates == []
    # ... and that Delete succeeds at once: nothing was created
    assert world.cloudformation().delete("Endpoint", ARN, props()).body["Status"] == "SUCCESS"
    assert_well_behaved(world, cfn)


def test_a_crash_after_the_endpoint_was_created_answers_its_arn_and_the_rollback_removes_it(world):
    # GIVEN a handler that crashes on its first DescribeEndpoint, after CreateEndpoint succeeded
    cfn = crashing_cfn(world, "describe_endpoint", after_call=True)
    answer = cfn.create("Endpoint", props())
    assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("FAILED", ARN)
    assert world.comprehend.creates == [ARN]
    # WHEN CloudFormation rolls back with the ARN it was given, THEN the endpoint is deleted: no orphan
    assert world.cloudformation().delete("Endpoint", ARN, props()).body["Status"] == "SUCCESS"
    assert endpoint_count(world) == 0


def test_a_crash_before_the_endpoint_type_is_known_answers_the_marker(world):
    # GIVEN a flywheel endpoint, and a handler that crashes reading the flywheel (before any create)
    world.comprehend.add_flywheel(FLYWHEEL, "ENTITY_RECOGNIZER", RECOGNIZER)
    cfn = crashing_cfn(world, "describe_flywheel")
    answer = cfn.create("Endpoint", props(ModelArn=None, FlywheelArn=FLYWHEEL, EndpointName="people"))
    # THEN it answers FAILED with the marker, which the rollback Delete recognizes as "nothing to delete"
    assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("FAILED", MARKER)
    assert world.comprehend.creates == []
    assert world.cloudformation().delete("Endpoint", MARKER, props()).body["Status"] == "SUCCESS"


def test_a_crash_during_an_update_answers_the_current_physical_id(world, cfn):
    # GIVEN an endpoint in service
    assert cfn.create("Endpoint", props()).body["PhysicalResourceId"] == ARN
    # WHEN an update crashes before it changes anything
    answer = crashing_cfn(world, "describe_endpoint").update("Endpoint", ARN, props(DesiredInferenceUnits=2), props())
    # THEN it answers FAILED keeping the physical id (never a new one, which would read as a replacement)
    assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("FAILED", ARN)
    assert world.comprehend.endpoints[ARN].desired_units == 1


def test_a_handler_whose_crhelper_failed_to_initialize_answers_failed_with_its_reason_and_the_marker(
    world, monkeypatch
):
    # GIVEN crhelper's own initialization fails (no region in the environment for its clients), while the
    # handler's clients were built
    index = load_index(default_handler_dir())

    def new_container():
        clients = {
            "comprehend": boto3.client("comprehend", config=index.BOTO_CONFIG),
            "lambda_client": boto3.client("lambda", config=index.BOTO_CONFIG),
            "cloudformation": boto3.client("cloudformation", config=index.BOTO_CONFIG),
        }
        with monkeypatch.context() as bare:
            bare.delenv("AWS_REGION", raising=False)
            bare.delenv("AWS_DEFAULT_REGION", raising=False)
            return index.build_handler(clock=world.clock, **clients)

    cfn = world.cloudformation(new_container)
    # WHEN CloudFormation creates the resource
    answer = cfn.create("Endpoint", props())
    # THEN it answers FAILED with crhelper's reason and the log group, and the marker for a physical id
    # (an answer without one is refused), having created nothing
    assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("FAILED", MARKER)
    assert answer.body["Reason"] == f"You must specify a region. (log group {LOG_GROUP})"
    assert world.comprehend.creates == []
