"""The one handler function per stack that serves every ``ComprehendEndpoint`` in it.

Resources (fixed, whatever the number of endpoints): a log group with retention, the function's
role, one policy attached to that role, the function, and an alias of it. Each endpoint only adds
the exact ARNs it needs to the shared policy statements, so an extra endpoint costs one resource
(its custom resource).

Ordering without a cycle: the policy names the function itself (the handler invokes itself to keep
waiting), so the function cannot depend on the policy. The alias (``$LATEST``) depends on the
policy, and custom resources use the alias as their ServiceToken: no endpoint request reaches the
function before its permissions exist, and no resource needs a ``DependsOn`` of its own.
"""

from __future__ import annotations

import functools
import weakref
from typing import ClassVar, cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_comprehend_endpoint import _bundling

PROVIDER_ID = "ComprehendEndpointProvider"
HANDLER_TIMEOUT = cdk.Duration.minutes(15)
ENDPOINT_ACTIONS = [
    "comprehend:CreateEndpoint",
    "comprehend:DeleteEndpoint",
    "comprehend:DescribeEndpoint",
    "comprehend:ListTagsForResource",
    "comprehend:TagResource",
    "comprehend:UntagResource",
    "comprehend:UpdateEndpoint",
]
MODEL_ACTIONS = ["comprehend:CreateEndpoint", "comprehend:UpdateEndpoint"]


class EndpointProvider(Construct):
    """Use :meth:`of`; the construct id ``ComprehendEndpointProvider`` under the stack is API."""

    _by_stack: ClassVar[weakref.WeakKeyDictionary[cdk.Stack, EndpointProvider]] = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, stack: cdk.Stack) -> EndpointProvider:
        """The stack's provider, created on first use."""
        provider = cls._by_stack.get(stack)
        if provider is None:
            existing = stack.node.try_find_child(PROVIDER_ID)
            provider = cast(EndpointProvider, existing) if existing is not None else cls(stack, PROVIDER_ID)
            cls._by_stack[stack] = provider
        return provider

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "LogGroup", retention=logs.RetentionDays.ONE_MONTH)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Custom::ComprehendEndpoint handler",
        )
        self.function = lambda_.Function(
            self,
            "Handler",
            description="Custom::ComprehendEndpoint: creates, updates and deletes Comprehend endpoints",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_asset(
                str(_bundling.handler_source_dir()),
                asset_hash=_bundling.asset_hash(),
                asset_hash_type=cdk.AssetHashType.CUSTOM,
                bundling=_bundling.bundling_options(),
            ),
            timeout=HANDLER_TIMEOUT,
            memory_size=256,
            role=self.role,
            log_group=self.log_group,
            environment={"LOG_LEVEL": "INFO"},
        )
        self._endpoints = iam.PolicyStatement(actions=ENDPOINT_ACTIONS)
        self._models = iam.PolicyStatement(actions=MODEL_ACTIONS)
        self._flywheels = iam.PolicyStatement(actions=[*MODEL_ACTIONS, "comprehend:DescribeFlywheel"])
        self._pass_role = iam.PolicyStatement(
            actions=["iam:PassRole"],
            conditions={"StringEquals": {"iam:PassedToService": "comprehend.amazonaws.com"}},
        )
        self._added: dict[int, set[str]] = {}
        """Statement id -> resources already in it (read back from jsii would cost a round trip)."""
        self.policy = iam.Policy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                ),
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.function.function_arn]),
                self._endpoints,
            ],
        )
        self.alias = lambda_.CfnAlias(
            self, "Alias", function_name=self.function.function_name, function_version="$LATEST", name="live"
        )
        self.alias.node.add_dependency(self.policy)

    @functools.cached_property
    def service_token(self) -> str:
        """The ServiceToken of every endpoint: the alias's ARN."""
        return self.alias.ref

    def allow_endpoint(self, endpoint_arn: str) -> None:
        """Let the handler manage the endpoint with exactly this ARN."""
        self._endpoints.add_resources(endpoint_arn)

    def allow_model(self, model_arn: str) -> None:
        """Let the handler attach endpoints to this model."""
        self._add_once(self._models, model_arn)

    def allow_flywheel(self, flywheel_arn: str) -> None:
        """Let the handler attach endpoints to this flywheel and read its model type."""
        self._add_once(self._flywheels, flywheel_arn)

    def allow_pass_role(self, role_arn: str) -> None:
        """Let the handler pass this data-access role, to Comprehend only."""
        self._add_once(self._pass_role, role_arn)

    def _add_once(self, statement: iam.PolicyStatement, resource: str) -> None:
        if id(statement) not in self._added:
            self._added[id(statement)] = set()
            self.policy.add_statements(statement)
        if resource not in self._added[id(statement)]:
            self._added[id(statement)].add(resource)
            statement.add_resources(resource)
