"""Lifecycle tier: the loopback Lambda refuses the invocations it does not model, so a handler that
continued itself any other way than asynchronously could not pass a test by accident."""

from __future__ import annotations

import pytest

from comprehend_loopback.cloudformation import FUNCTION_ARN
from comprehend_loopback.comprehend import ApiError


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
