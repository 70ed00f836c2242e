"""The baseline: an endpoint handler written the way crhelper's README shows, with its defaults.

``CfnResource()`` as it ships: log level DEBUG, polling every 2 minutes through an EventBridge
rule, 120 s sleep before answering a Delete. Only the sleep is routed through the virtual clock
(crhelper binds ``time.sleep`` at import), so its cost shows up in virtual seconds, not real ones.
"""

from __future__ import annotations

import logging
from typing import Any

import boto3
from crhelper import CfnResource

from comprehend_loopback.clock import VirtualClock


def build(clock: VirtualClock) -> Any:
    class VirtualSleepCfnResource(CfnResource):
        def _wait_for_cwlogs(self, sleep: Any = None) -> None:
            super()._wait_for_cwlogs(sleep=clock.sleep)  # type: ignore[misc]  # crhelper private API

    helper = VirtualSleepCfnResource()
    logging.getLogger("crhelper").setLevel(logging.NOTSET)  # as shipped (this process also ran ours)
    comprehend = boto3.client("comprehend")

    @helper.create
    def create(event: dict[str, Any], _context: Any) -> None:
        props = event["ResourceProperties"]
        response = comprehend.create_endpoint(
            EndpointName=props["EndpointName"],
            ModelArn=props["ModelArn"],
            DesiredInferenceUnits=int(props["DesiredInferenceUnits"]),
        )
        helper.Data["EndpointArn"] = response["EndpointArn"]

    @helper.poll_create
    def poll_create(event: dict[str, Any], _context: Any) -> str | None:
        arn = event["CrHelperData"]["EndpointArn"]
        status = comprehend.describe_endpoint(EndpointArn=arn)["EndpointProperties"]["Status"]
        if status == "FAILED":
            raise RuntimeError("endpoint FAILED")
        return arn if status == "IN_SERVICE" else None

    @helper.update
    def update(event: dict[str, Any], _context: Any) -> None:
        props = event["ResourceProperties"]
        comprehend.update_endpoint(
            EndpointArn=event["PhysicalResourceId"], DesiredInferenceUnits=int(props["DesiredInferenceUnits"])
        )

    @helper.poll_update
    def poll_update(event: dict[str, Any], _context: Any) -> str | None:
        arn = event["PhysicalResourceId"]
        props = comprehend.describe_endpoint(EndpointArn=arn)["EndpointProperties"]
        done = props["Status"] == "IN_SERVICE" and props["CurrentInferenceUnits"] == int(
            event["ResourceProperties"]["DesiredInferenceUnits"]
        )
        return arn if done else None

    @helper.delete
    def delete(event: dict[str, Any], _context: Any) -> None:
        comprehend.delete_endpoint(EndpointArn=event["PhysicalResourceId"])

    @helper.poll_delete
    def poll_delete(event: dict[str, Any], _context: Any) -> bool | None:
        try:
            comprehend.describe_endpoint(EndpointArn=event["PhysicalResourceId"])
        except comprehend.exceptions.ResourceNotFoundException:
            return True
        return None

    return helper
