"""What the unit tests of the lifecycle share: a manual clock, requests and responses, ``run`` (one request
through a fresh lifecycle), and the strict client the ``comprehend`` fixture in conftest.py wraps around
botocore's Stubber."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import StubResponseError
from botocore.stub import ANY

from comprehend_cr.lifecycle import Lifecycle, Request
from comprehend_cr.outcome import Outcome
from comprehend_cr.progress import Progress

MODEL = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"
STACK = "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1"


def owned(stack: str = STACK, logical: str = "Endpoint", request_id: str | None = "req-0") -> list[dict[str, str]]:
    """The reserved tags of an endpoint of ``logical`` in ``stack`` that request ``request_id`` created, as
    ListTagsForResource returns them (``request_id`` None: created before the request tag existed)."""
    tags = [
        {"Key": "cdk-comprehend-endpoint:logical-id", "Value": logical},
        {"Key": "cdk-comprehend-endpoint:stack-id", "Value": stack},
    ]
    if request_id is not None:
        tags.insert(1, {"Key": "cdk-comprehend-endpoint:request-id", "Value": request_id})
    return tags


OWNED = owned()
CREATION_TAGS = owned(request_id="req-1")
"""The reserved tags the handler writes when request ``req-1`` (see ``request``) creates the endpoint."""


class Clock:
    """Seconds that move only when the code under test sleeps."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def request(request_type: str = "Create", physical_id: str = "", **props: Any) -> Request:
    """A request for endpoint "news" of ``MODEL``; a property given as None is left out."""
    properties = {"EndpointName": "news", "ModelArn": MODEL, "DesiredInferenceUnits": "1", **props}
    properties = {k: v for k, v in properties.items() if v is not None}
    return Request(request_type, STACK, "req-1", "Endpoint", physical_id, properties, {})


def run(
    comprehend: Any,
    req: Request | None = None,
    progress: Progress | None = None,
    *,
    cloudformation: Any = None,
    budget_s: float = 900.0,
    abandoned: Callable[[], bool] | None = None,
    clock: Clock | None = None,
) -> Outcome:
    """``req`` (default: ``request()``, a Create) run by a fresh lifecycle on ``clock`` (default: a new manual
    clock) with ``budget_s`` seconds left in the invocation, resuming ``progress`` when given."""
    clock = clock or Clock()
    options: dict[str, Any] = {"abandoned": abandoned} if abandoned else {}
    lifecycle = Lifecycle(comprehend, clock, clock.now() + budget_s, cloudformation=cloudformation, **options)
    return lifecycle.run(req or request(), progress)


def run_timed(comprehend: Any, req: Request | None = None, **options: Any) -> tuple[Outcome, float]:
    """``run``, and the seconds its manual clock moved meanwhile."""
    clock = options.pop("clock", None) or Clock()
    start = clock.now()
    return run(comprehend, req, clock=clock, **options), clock.now() - start


def create_params(units: int = 1, tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The CreateEndpoint request for endpoint "news" of ``MODEL``: ``tags`` are the user's, before the
    ownership tags (sorted by key, as the handler sends them); any ClientRequestToken."""
    return {
        "EndpointName": "news",
        "ModelArn": MODEL,
        "DesiredInferenceUnits": units,
        "ClientRequestToken": ANY,
        "Tags": [*CREATION_TAGS, *(tags or [])],
    }


def described(
    status: str = "IN_SERVICE", units: int = 1, model: str = MODEL, arn: str = ARN, **fields: Any
) -> dict[str, Any]:
    """A DescribeEndpoint response; ``fields`` override or add EndpointProperties (None leaves one out)."""
    properties = {
        "EndpointArn": arn,
        "Status": status,
        "ModelArn": model,
        "DesiredModelArn": model,
        "DesiredInferenceUnits": units,
        "CurrentInferenceUnits": units,
        **fields,
    }
    return {"EndpointProperties": {k: v for k, v in properties.items() if v is not None}}


class StrictClient:
    """``client`` as the lifecycle sees it, except that a call the Stubber did not expect (or expected
    with other parameters) raises ``AssertionError``, which the lifecycle does not catch.

    The Stubber reports such a call as a ``BotoCoreError``; the lifecycle would take that for a network
    failure and retry on its next round, so a test could pass while the handler makes calls it should
    not. Here that error fails the test instead.
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            try:
                return method(**kwargs)
            except StubResponseError as exc:
                raise AssertionError(f"{name}: a call the test did not expect: {exc}") from None

        return call


def no_strays(stub: Any, *others: dict[str, Any]) -> None:
    """The ListEndpoints a successful update makes to find what a cancelled request is still creating
    for it: the account holds the endpoint itself, in service, and ``others``."""
    listed = [{"EndpointArn": ARN, "Status": "IN_SERVICE"}, *others]
    stub.add_response("list_endpoints", {"EndpointPropertiesList": listed}, {})
