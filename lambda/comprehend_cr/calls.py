"""Comprehend as the lifecycle calls it: every call within the invocation's time budget, errors classified.

:class:`Service` wraps the boto3 client (already retried by botocore's standard mode) and turns what is left
of an error into :class:`Transient` (worth another round), :class:`Rejected` (a refusal no retry fixes),
:class:`OutOfTime` (no room left in this invocation to make a call and still answer or hand over) or
:class:`Abandoned` (the runtime gave the invocation up). It also tells "gone" from "not ours" when IAM answers
AccessDenied for both (a tag-conditioned policy refuses a call on a missing endpoint too): a read-only
``ListEndpoints`` decides.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from comprehend_cr import budget
from comprehend_cr.clock import Clock
from comprehend_cr.ownership import STACK_TAG, Owner

logger = logging.getLogger(__name__)

TRANSIENT_CODES = frozenset(
    {
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestTimeout",
        "RequestTimeoutException",
        # TagResource and UntagResource declare it: another change of the endpoint's tags was in progress.
        "ConcurrentModificationException",
    }
)
ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied"})


class Transient(Exception):
    """An API call failed in a way worth trying again later (throttling, 5xx, network)."""


class Rejected(Exception):
    """The service refused a request for a reason no retry will fix; ``str()`` is the reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class OutOfTime(Exception):
    """Not enough of the invocation is left to start another API call and still answer or hand over."""


class Abandoned(Exception):
    """The runtime gave this invocation up (its last-second timer fired): make no further call."""


class NotOurs(Exception):
    """An endpoint exists at ``arn`` but this stack's resource does not own it; ``str()`` is the reason."""

    def __init__(self, arn: str, owner: Owner | None, request_owner: Owner | None = None) -> None:
        """``owner``: what the endpoint's tags say, None when they name no owner or IAM hid them."""
        if owner is None:
            whose = (
                f"it has no {STACK_TAG} tag naming this stack (IAM refused to show it, or it was created outside "
                "cdk-comprehend-endpoint >= 0.2; see the README's 'Ownership tags')"
            )
        elif request_owner is None or owner.stack_id != request_owner.stack_id:
            whose = f"it belongs to {owner.describe()}"
        else:
            whose = f"it belongs to resource {owner.logical_id} of this stack"
        super().__init__(f"EndpointArn: {arn} is not this resource's: {whose}; it was left untouched")


def _never() -> bool:
    return False


class Service:
    """The Comprehend calls of one invocation. ``invocation_end`` is the wall-clock second (on ``clock``) at
    which the invocation is killed; ``abandoned`` says whether the runtime has given it up."""

    def __init__(
        self, comprehend: Any, clock: Clock, invocation_end: float, abandoned: Callable[[], bool] = _never
    ) -> None:
        self.client = comprehend
        self._clock = clock
        self._invocation_end = invocation_end
        self._abandoned = abandoned
        self.last_status: dict[str, str] = {}
        """The last status seen of each endpoint (``GONE`` once it no longer exists)."""

    def guard(self) -> None:
        """Raise :class:`Abandoned` or :class:`OutOfTime` when no further call may start."""
        if self._abandoned():
            raise Abandoned
        if self._clock.now() + budget.CALL_RESERVE_S > self._invocation_end:
            raise OutOfTime

    def call(self, operation: Callable[..., Any], **kwargs: Any) -> Any:
        """Call a boto3 operation and classify what is left of its errors (see module doc)."""
        self.guard()
        try:
            return operation(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in TRANSIENT_CODES or status >= 500:
                raise Transient(f"{code}: {error.get('Message', '')}") from exc
            raise Rejected(code, str(error.get("Message", ""))) from exc
        except BotoCoreError as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from exc

    def describe(self, arn: str) -> dict[str, Any] | None:
        """The endpoint's live properties; None once it no longer exists; :class:`NotOurs` when it exists
        but IAM refuses to show it."""
        try:
            response = self.call(self.client.describe_endpoint, EndpointArn=arn)
        except Rejected as exc:
            if exc.code == "ResourceNotFoundException" or (exc.code in ACCESS_DENIED_CODES and not self.listed(arn)):
                self._note_status(arn, "GONE")
                return None
            if exc.code in ACCESS_DENIED_CODES:
                raise NotOurs(arn, None) from None
            raise
        props: dict[str, Any] = response["EndpointProperties"]
        self._note_status(arn, str(props.get("Status")))
        return props

    def delete(self, arn: str) -> bool:
        """Ask for deletion; False when the endpoint is busy and the call must wait for a later round."""
        try:
            self.call(self.client.delete_endpoint, EndpointArn=arn)
        except Rejected as exc:
            if exc.code == "ResourceNotFoundException":
                return True
            if exc.code == "ResourceInUseException":
                return False
            if exc.code in ACCESS_DENIED_CODES and not self.listed(arn):
                return True
            raise
        return True

    def listed(self, arn: str) -> bool:
        """Whether ``ListEndpoints`` (read-only, allowed on ``*``) shows an endpoint with this ARN."""
        return any(item.get("EndpointArn") == arn for item in self.endpoints())

    def endpoints(self) -> Iterator[Mapping[str, Any]]:
        """Every endpoint of the account and region, page by page, as ``ListEndpoints`` shows them."""
        kwargs: dict[str, Any] = {}
        while True:
            page = self.call(self.client.list_endpoints, **kwargs)
            yield from page.get("EndpointPropertiesList", [])
            if not page.get("NextToken"):
                return
            kwargs["NextToken"] = page["NextToken"]

    def tags(self, arn: str) -> dict[str, str]:
        response = self.call(self.client.list_tags_for_resource, ResourceArn=arn)
        return {tag["Key"]: tag.get("Value", "") for tag in response.get("Tags", [])}

    def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        self.call(
            self.client.tag_resource, ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        )

    def untag(self, arn: str, keys: list[str]) -> None:
        self.call(self.client.untag_resource, ResourceArn=arn, TagKeys=sorted(keys))

    def _note_status(self, arn: str, status: str) -> None:
        previous = self.last_status.get(arn)
        if previous != status:
            self.last_status[arn] = status
            logger.info(
                {"message": "endpoint status", "EndpointArn": arn, "Status": status, "PreviousStatus": previous}
            )


def creation_time(item: Mapping[str, Any]) -> float | None:
    """Epoch seconds of an endpoint's ``CreationTime`` (boto3 gives a datetime), None when absent."""
    value = item.get("CreationTime")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
