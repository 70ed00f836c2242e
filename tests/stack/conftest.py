"""Stack tier: apps synthesized version after version, played as CloudFormation plays stack updates
(comprehend_loopback.stack), with IAM enforced from the policy each version synthesizes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aws_cdk as cdk
import pytest

from cdk_comprehend_endpoint import ComprehendEndpoint
from comprehend_loopback.stack import StackPlayer
from comprehend_loopback.template import StackTemplate, load_assembly
from comprehend_loopback.world import World

ACCOUNT = "111122223333"
CLASSIFIER = f"arn:aws:comprehend:us-east-1:{ACCOUNT}:document-classifier/news"
RECOGNIZER = f"arn:aws:comprehend:us-east-1:{ACCOUNT}:entity-recognizer/people"
STACK = "Shop"
OWNERSHIP_KEYS = ("cdk-comprehend-endpoint:stack-id", "cdk-comprehend-endpoint:logical-id")


@dataclass(frozen=True)
class Endpoint:
    """One ``ComprehendEndpoint`` of a test app version."""

    construct_id: str
    name: str | None = None
    model: str = CLASSIFIER
    units: int = 1
    tags: tuple[tuple[str, str], ...] = ()
    autoscale: tuple[int, int] | None = None


@dataclass(frozen=True)
class Version:
    """An app version: its endpoints, and optionally a resource that fails when CloudFormation reaches
    it (``Breaks``, created after every endpoint)."""

    endpoints: tuple[Endpoint, ...]
    breaks: bool = False
    extra: tuple[str, ...] = field(default=())


def build(version: Version, outdir: Path) -> StackTemplate:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, STACK, env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    made = []
    for spec in version.endpoints:
        endpoint = ComprehendEndpoint(
            stack,
            spec.construct_id,
            model_arn=spec.model,
            endpoint_name=spec.name,
            desired_inference_units=spec.units,
            tags=dict(spec.tags) or None,
        )
        if spec.autoscale is not None:
            endpoint.auto_scale_inference_units(min_capacity=spec.autoscale[0], max_capacity=spec.autoscale[1])
        made.append(endpoint)
    if version.breaks:
        breaks = cdk.CfnWaitConditionHandle(stack, "Breaks")
        for endpoint in made:
            breaks.node.add_dependency(endpoint)
    app.synth()
    (template,) = load_assembly(outdir)
    return template


@pytest.fixture(scope="session")
def synth(tmp_path_factory):
    """``synth(version)``: the version's template, synthesized once per test session."""
    cache: dict[Version, StackTemplate] = {}

    def make(version: Version) -> StackTemplate:
        if version not in cache:
            cache[version] = build(version, tmp_path_factory.mktemp("cdk.out"))
        return cache[version]

    return make


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    with World.start(tmp_path) as w:
        w.comprehend.max_endpoints = 20
        w.comprehend.add_model(CLASSIFIER)
        w.comprehend.add_model(RECOGNIZER)
        yield w


@pytest.fixture
def stack(world) -> StackPlayer:
    return StackPlayer(world, STACK)


def assert_only_the_stacks_endpoints_bill(world: World, player: StackPlayer, *, others: tuple[str, ...] = ()) -> None:
    """Exactly the endpoints the stack describes exist (IN_SERVICE, owned by their resource), plus
    ``others`` (endpoints that are not the stack's, untouched)."""
    described = player.endpoints()
    assert set(world.comprehend.endpoints) == set(described.values()) | set(others)
    for logical_id, arn in described.items():
        endpoint = world.comprehend.endpoints[arn]
        assert endpoint.status == "IN_SERVICE", (arn, endpoint.status)
        assert endpoint.tags[OWNERSHIP_KEYS[0]] == player.stack_id
        assert endpoint.tags[OWNERSHIP_KEYS[1]] == logical_id


def failed_events(player: StackPlayer) -> list[tuple[str, str, str]]:
    return [(e.logical_id, e.status, e.reason) for e in player.events if e.status.endswith("_FAILED")]


def endpoint_arn(name: str, kind: str = "document-classifier") -> str:
    return f"arn:aws:comprehend:us-east-1:{ACCOUNT}:{kind}-endpoint/{name}"
