"""One delivery of a CloudFormation custom-resource request, as the lifecycle reads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from comprehend_cr import arns
from comprehend_cr.delivery import Delivery, InvalidResponseUrl
from comprehend_cr.ownership import Owner


@dataclass(frozen=True)
class Request:
    """The fields of a CloudFormation custom-resource request that the lifecycle reads."""

    request_type: str
    stack_id: str
    request_id: str
    logical_id: str
    physical_id: str
    properties: Mapping[str, Any]
    old_properties: Mapping[str, Any]
    delivery: Delivery | None = None
    """When CloudFormation sent this delivery, and which one it is (None: unknown)."""

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Request:
        try:
            delivery: Delivery | None = Delivery.of(event.get("ResponseURL"))
        except InvalidResponseUrl:
            delivery = None
        return cls(
            request_type=event["RequestType"],
            stack_id=event["StackId"],
            request_id=event["RequestId"],
            logical_id=event["LogicalResourceId"],
            physical_id=event.get("PhysicalResourceId", ""),
            properties=event.get("ResourceProperties") or {},
            old_properties=event.get("OldResourceProperties") or {},
            delivery=delivery,
        )

    @property
    def owner(self) -> Owner:
        """The owner this request's endpoint is tagged with."""
        return Owner(self.stack_id, self.logical_id)

    @property
    def sent_at(self) -> float | None:
        return self.delivery.sent_at if self.delivery else None

    def token(self) -> str:
        """The ClientRequestToken of the endpoint this delivery creates (see ``arns.derive_token``)."""
        attempt = self.delivery.id if self.delivery else ""
        return arns.derive_token(self.stack_id, self.logical_id, self.request_id, attempt)


def failed_create_marker(logical_id: str) -> str:
    """The physical id answered for a Create that left no endpoint behind.

    It is not an endpoint ARN, so the Delete that CloudFormation sends on rollback deletes no endpoint by
    that id (only the resource's strays, never one held by anyone else or kept on purpose).
    """
    return f"ComprehendEndpoint-CREATE_FAILED-{logical_id}"
