"""Lifecycle tier: how the function is invoked. The deployed entry point (``index.handler``, with the boto3
clients it builds itself) answers as the handler promises; the loopback Lambda refuses the invocations it
does not model, so a handler that continued itself any other way than asynchronously could not pass a
test by accident."""

from __future__ import annotations

import importlib.util
import itertools

import pytest

from comprehend_loopback.cloudformation import FUNCTION_ARN
from comprehend_loopback.comprehend import ApiError
from comprehend_loopback.world import default_handler_dir
from tests.lifecycle.conftest import ARN, props


@pytest.mark.parametrize(
    ("invocation_type", "code"),
    [("RequestResponse", "NotModelled"), ("DryRun", "NotModelled"), ("event", "ValidationException")],
)
def test_only_asynchronous_invokes_are_modelled(world, invocation_type, code):
    # WHEN the function is invoked other than with InvocationType Event
    with pytest.raises(ApiError) as refused:
        world.aws.lambda_invoke(FUNCTION_ARN, None, {}, invocation_type=invocation_type)
    # THEN the loopback refuses it and queues nothing
    assert refused.value.code == code
    assert world.aws.calls["lambda:Invoke"] == 0


_fresh = itertools.count()


def fresh_entry_point():
    """``index.handler``, the function's configured entry point, from a new copy of index.py (so its
    module-level clients are built from this world's environment)."""
    path = default_handler_dir() / "index.py"
    spec = importlib.util.spec_from_file_location(f"index_entry_{next(_fresh)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def test_the_deployed_entry_point_index_handler_answers_through_its_own_clients(world):
    # GIVEN the entry point Lambda calls (index.handler), with its boto3 clients built from the environment
    # (it runs on the real clock: only requests that need no waiting are sent to it)
    cfn = world.cloudformation(fresh_entry_point)
    # WHEN CloudFormation sends a Create with bad input and a Delete of an endpoint that no longer exists
    refused = cfn.create("Endpoint", props(DesiredInferenceUnits="0"))
    deleted = cfn.delete("Endpoint", ARN, props())
    # THEN both are answered as the handler promises, the Delete after a real lookup of the endpoint and,
    # since the stack shows the resource itself being deleted, a real search for its strays
    assert refused.body["Status"] == "FAILED" and refused.body["Reason"].startswith("DesiredInferenceUnits:")
    assert deleted.body["Status"] == "SUCCESS"
    assert world.aws.calls["DescribeEndpoint"] == 1 and world.aws.calls["ListEndpoints"] == 2
    assert world.aws.calls["cloudformation:DescribeStackResource"] >= 1
