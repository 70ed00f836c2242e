#!/usr/bin/env python3
"""Sample app: one stack, one Comprehend endpoint, its ARN exported as a stack output.

Context (all optional, so ``cdk synth`` works with no arguments)::

    npx cdk deploy -c model_arn=arn:aws:comprehend:REGION:ACCOUNT:document-classifier/NAME \
                   -c endpoint_name=my-endpoint -c inference_units=2 \
                   -c max_inference_units=4 -c tags=team=nlp,env=prod

``max_inference_units`` turns on autoscaling between 1 unit and that many (target tracking at 70 %
utilization); ``tags`` are ``key=value`` pairs separated by commas. The endpoint always gets an alarm
that fires when it served nothing for a day.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_NODE22 = Path(__file__).resolve().parent / "node_modules" / ".bin" / "node"
if "JSII_NODE" not in os.environ and _NODE22.exists():
    os.environ["JSII_NODE"] = str(_NODE22)  # Node 20 is end-of-life for jsii; use the project's Node 22

import aws_cdk as cdk  # noqa: E402
from constructs import Construct  # noqa: E402

from cdk_comprehend_endpoint import ComprehendEndpoint  # noqa: E402

STACK_NAME = "ComprehendEndpointStack"
DEFAULT_MODEL_ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/sample-classifier"
"""The placeholder model when no ``-c model_arn`` is given, in an environment-agnostic synth."""


class ComprehendEndpointStack(cdk.Stack):
    """One endpoint (autoscaled when asked), an idle-cost alarm, and a ``CfnOutput`` of the endpoint's
    ARN exported as ``<stack name>-EndpointArn``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_arn: str,
        endpoint_name: str | None,
        inference_units: int,
        max_inference_units: int | None = None,
        tags: dict[str, str] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        endpoint = ComprehendEndpoint(
            self,
            "Endpoint",
            model_arn=model_arn,
            endpoint_name=endpoint_name,
            desired_inference_units=inference_units,
            tags=tags,
        )
        if max_inference_units is not None:
            scaling = endpoint.auto_scale_inference_units(min_capacity=1, max_capacity=max_inference_units)
            scaling.scale_on_utilization(target_utilization_percent=70)
        endpoint.alarm_when_idle()
        cdk.CfnOutput(
            self,
            "EndpointArn",
            value=endpoint.endpoint_arn,
            description="ARN of the Comprehend endpoint",
            export_name=f"{self.stack_name}-EndpointArn",
        )


def whole_number_from_context(name: str, value: object) -> int:
    """``-c name=N`` arrives as a string; a whole number >= 1 of ASCII digits is required
    (``str.isdecimal`` would take other scripts' digits; the length is checked before ``int()``)."""
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,6}", text) or int(text) < 1:
        shown = text if len(text) <= 40 else f"{text[:40]}... ({len(text)} chars)"
        raise SystemExit(f"context {name} must be a whole number >= 1, got {shown!r}")
    return int(text)


def inference_units_from_context(value: object) -> int:
    return whole_number_from_context("inference_units", value)


def tags_from_context(value: object) -> dict[str, str] | None:
    """``-c tags=team=nlp,env=prod`` as a dict (None when not given)."""
    if value in (None, ""):
        return None
    tags: dict[str, str] = {}
    for pair in str(value).split(","):
        key, sep, tag_value = pair.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"context tags must be key=value pairs separated by commas, got {value!r}")
        tags[key.strip()] = tag_value.strip()
    return tags


def default_model_arn(account: str | None, region: str | None) -> str:
    """``DEFAULT_MODEL_ARN`` moved into the stack's account and region where the CLI knows them (from
    credentials or the configured region): the construct refuses a model outside a concrete environment."""
    _, partition, service, default_region, default_account, resource = DEFAULT_MODEL_ARN.split(":", 5)
    return ":".join(("arn", partition, service, region or default_region, account or default_account, resource))


def build_app(app: cdk.App) -> ComprehendEndpointStack:
    context = app.node.try_get_context
    max_units = context("max_inference_units")
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    return ComprehendEndpointStack(
        app,
        STACK_NAME,
        model_arn=context("model_arn") or default_model_arn(account, region),
        endpoint_name=context("endpoint_name") or None,
        inference_units=inference_units_from_context(context("inference_units") or 1),
        max_inference_units=whole_number_from_context("max_inference_units", max_units) if max_units else None,
        tags=tags_from_context(context("tags")),
        env=cdk.Environment(account=account, region=region),
    )


if __name__ == "__main__":
    cdk_app = cdk.App()
    build_app(cdk_app)
    cdk_app.synth()
