"""Lambda entry point of the ``Custom::ComprehendEndpoint`` provider.

Thin on purpose: it builds the boto3 clients (standard retry mode, short timeouts so one slow call
cannot eat an invocation: see ``comprehend_cr.budget``) and hands every event to
:class:`comprehend_cr.runtime.EndpointResource`.
``build_handler`` is what the lifecycle tests call with a virtual clock.
"""

from __future__ import annotations

from typing import Any

import boto3

from comprehend_cr.budget import BOTO_CONFIG
from comprehend_cr.clock import Clock, SystemClock
from comprehend_cr.runtime import EndpointResource, log_level_from_env

_resource: EndpointResource | None = None


def build_handler(
    clock: Clock | None = None, comprehend: Any = None, lambda_client: Any = None, cloudformation: Any = None
) -> EndpointResource:
    """A handler over the given clients (default: boto3 clients from the environment)."""
    return EndpointResource(
        comprehend=comprehend or boto3.client("comprehend", config=BOTO_CONFIG),
        lambda_client=lambda_client or boto3.client("lambda", config=BOTO_CONFIG),
        cloudformation=cloudformation or boto3.client("cloudformation", config=BOTO_CONFIG),
        clock=clock or SystemClock(),
        log_level=log_level_from_env(),
    )


def handler(event: dict[str, Any], context: Any) -> None:
    """The function's handler (``index.handler``); clients are built on the first call and reused."""
    global _resource
    if _resource is None:
        _resource = build_handler()
    _resource(event, context)
