"""The one handler function per stack that serves every ``ComprehendEndpoint`` in it.

Resources (fixed, whatever the number of endpoints): a log group with retention, the function's
role, one policy attached to that role, the function, an alias of it, and the asynchronous-invoke
limits of both (event age within the ServiceTimeout, two retries). Each endpoint only adds the
exact ARNs it needs to the policy's create statement, so an extra endpoint costs one resource (its
custom resource).

The policy (docs/design.md §4b): ``CreateEndpoint`` on the exact endpoint names, models and flywheels of the
current template (names only: conditions on the request's tags are not used before a probe shows how IAM
evaluates them on CreateEndpoint, see docs/how-it-works.md); every later
call (Describe, Update, Delete, ListTags, Tag, Untag) on this account and region's endpoints whose
ownership tag names this stack, so that CloudFormation's cleanup and rollback, which run under a
policy that no longer (or not yet) names an endpoint, can still reach it; never the untagging or
retagging of the reserved keys CreateEndpoint writes; ``ListEndpoints`` (read-only) to tell a deleted endpoint
from one IAM hides; ``DescribeStacks``/``DescribeStackResource``/``DescribeStackEvents`` on this stack only, to tell
whether CloudFormation still waits for a request; ``iam:PassRole`` only for the given roles and only to Comprehend.

Ordering without a cycle: the policy names the function itself (the handler invokes itself to keep
waiting), so the function cannot depend on the policy. The alias (``$LATEST``) depends on the
policy, and custom resources use the alias as their ServiceToken: no endpoint request reaches the
function before its permissions exist, and no resource needs a ``DependsOn`` of its own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_comprehend_endpoint import _bundling
from cdk_comprehend_endpoint._contract import contract

PROVIDER_ID = "ComprehendEndpointProvider"
HANDLER_TIMEOUT = cdk.Duration.minutes(15)
SERVICE_TIMEOUT = cdk.Duration.minutes(45)
"""How long CloudFormation waits for the handler's answer before failing the resource.

Creating an endpoint takes 10-20 minutes; 45 minutes leaves room for a slow create or an update
that first waits out a previous one, and still fails a broken deploy well before CloudFormation's
default of one hour. The handler answers FAILED itself a few minutes before this."""
ASYNC_RETRIES = 2
"""Lambda's retries of a failed asynchronous invocation. A crashed or killed invocation is retried
and resumes its request idempotently (same ClientRequestToken, same progress); with none, such a
request would only fail at the ServiceTimeout."""

WILDCARD_REASON = (
    "Endpoints are reached by ownership tag, not by name: CloudFormation deletes removed and replaced "
    "endpoints after the policy has moved to the new template (and rolls back under the old one), so a "
    "name-scoped policy cannot reach them. The statement is limited to this account and region's "
    f"endpoints whose {contract.STACK_TAG} tag is this stack's id, and may not untag or "
    "retag the reserved keys CreateEndpoint writes. ListEndpoints has no resource-level permission; it is "
    "read-only and tells a deleted endpoint from one the handler may not see."
)


@dataclass(frozen=True)
class LogSettings:
    """``configure_provider``'s settings of the handler's log group (None: unchanged)."""

    removal_policy: cdk.RemovalPolicy | None = None
    retention: logs.RetentionDays | None = None

    def then(self, later: LogSettings) -> LogSettings:
        """These settings with ``later``'s applied over them (a setting ``later`` leaves out keeps its value)."""
        return LogSettings(
            later.removal_policy if later.removal_policy is not None else self.removal_policy,
            later.retention if later.retention is not None else self.retention,
        )


class EndpointProvider(Construct):
    """Use :meth:`of` (or :meth:`in_stack`); the construct id ``ComprehendEndpointProvider`` under the stack is API.

    The construct is the stack's one place for what its endpoints share: found with ``try_find_child``, it
    keeps the endpoint names claimed in the stack and the log settings as plain attributes. Its resources
    (function, role, policy, log group, ...) are added by the stack's first endpoint (:meth:`of`): a stack
    whose provider was only configured renders nothing.
    """

    @classmethod
    def in_stack(cls, stack: cdk.Stack) -> EndpointProvider:
        """The stack's provider construct, created (without resources) when the stack has none yet."""
        existing = stack.node.try_find_child(PROVIDER_ID)
        return cast(EndpointProvider, existing) if existing is not None else cls(stack, PROVIDER_ID)

    @classmethod
    def of(cls, stack: cdk.Stack) -> EndpointProvider:
        """The stack's provider with its resources, which are added on first use."""
        provider = cls.in_stack(stack)
        if not provider.has_resources:
            provider._add_resources()
        return provider

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.has_resources = False
        self.endpoint_names: dict[str, tuple[str, bool]] = {}
        """Endpoint name -> (path of the endpoint of this stack that has it, whether the name was generated)."""
        self.log_settings = LogSettings()

    def configure_logs(self, settings: LogSettings) -> None:
        """Apply ``settings`` over the earlier ones: now when the log group exists, else when it is added."""
        self.log_settings = self.log_settings.then(settings)
        if self.has_resources:
            self._apply_log_settings(settings)

    def _apply_log_settings(self, settings: LogSettings) -> None:
        if settings.removal_policy is not None:
            self.log_group.apply_removal_policy(settings.removal_policy)
        if settings.retention is not None:
            cfn = cast(logs.CfnLogGroup, self.log_group.node.default_child)
            cfn.retention_in_days = _retention_in_days(settings.retention)

    def _add_resources(self) -> None:
        self.has_resources = True
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
                asset_hash=_bundling.asset_hash(),  # a given hash is a CUSTOM one (the default type then)
                bundling=_bundling.bundling_options(),
            ),
            timeout=HANDLER_TIMEOUT,
            memory_size=256,
            role=self.role,
            log_group=self.log_group,
            environment={"LOG_LEVEL": "INFO"},
        )
        self.function.configure_async_invoke(max_event_age=SERVICE_TIMEOUT, retry_attempts=ASYNC_RETRIES)
        owned = [
            f"arn:${{AWS::Partition}}:comprehend:${{AWS::Region}}:${{AWS::AccountId}}:{kind}/*"
            for kind in contract.ENDPOINT_KINDS
        ]
        owned_by_stack = {"StringEquals": {f"aws:ResourceTag/{contract.STACK_TAG}": cdk.Aws.STACK_ID}}
        self._creates = iam.PolicyStatement(sid="CreateEndpointsOfTheTemplate", actions=["comprehend:CreateEndpoint"])
        self._flywheels = iam.PolicyStatement(
            sid="UseTheTemplatesFlywheels", actions=["comprehend:UpdateEndpoint", "comprehend:DescribeFlywheel"]
        )
        self._pass_role = iam.PolicyStatement(
            sid="PassTheDataAccessRolesToComprehend",
            actions=["iam:PassRole"],
            conditions={"StringEquals": {"iam:PassedToService": "comprehend.amazonaws.com"}},
        )
        self._resources: dict[str, set[str]] = {}
        """Statement sid -> resources already in it (read back from jsii would cost a round trip)."""
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
                self._creates,
                iam.PolicyStatement(
                    sid="ManageEndpointsThisStackOwns",
                    actions=list(contract.OWNED_ENDPOINT_ACTIONS),
                    resources=[cdk.Fn.sub(arn) for arn in owned],
                    conditions=owned_by_stack,
                ),
                iam.PolicyStatement(
                    sid="TagEndpointsThisStackOwnsButNotTheirOwnership",
                    actions=list(contract.TAG_ACTIONS),
                    resources=[cdk.Fn.sub(arn) for arn in owned],
                    conditions={
                        **owned_by_stack,
                        "ForAllValues:StringNotEquals": {"aws:TagKeys": list(contract.PROTECTED_TAGS)},
                    },
                ),
                iam.PolicyStatement(sid="TellGoneFromNotOurs", actions=["comprehend:ListEndpoints"], resources=["*"]),
                iam.PolicyStatement(
                    sid="ReadWhetherThisStackStillWaits",
                    actions=list(contract.STACK_READ_ACTIONS),
                    resources=[cdk.Aws.STACK_ID],
                ),
            ],
        )
        _acknowledge_wildcards(cast(cdk.CfnResource, self.policy.node.default_child))
        self.alias = lambda_.CfnAlias(
            self, "Alias", function_name=self.function.function_name, function_version="$LATEST", name="live"
        )
        self.alias.node.add_dependency(self.policy)
        # CloudFormation invokes the alias: its asynchronous invocations get the same limits.
        alias_config = lambda_.CfnEventInvokeConfig(
            self,
            "AliasAsyncConfig",
            function_name=self.function.function_name,
            qualifier="live",
            maximum_event_age_in_seconds=int(SERVICE_TIMEOUT.to_seconds()),
            maximum_retry_attempts=ASYNC_RETRIES,
        )
        alias_config.node.add_dependency(self.alias)
        self._apply_log_settings(self.log_settings)

    @functools.cached_property
    def service_token(self) -> str:
        """The ServiceToken of every endpoint: the alias's ARN."""
        return self.alias.ref

    def allow_create(self, endpoint_arn: str) -> None:
        """Let the handler create the endpoint with exactly this ARN (later calls go by ownership tag)."""
        self._add_once(self._creates, endpoint_arn)

    def allow_model(self, model_arn: str) -> None:
        """Let the handler create endpoints for this model."""
        self._add_once(self._creates, model_arn)

    def allow_flywheel(self, flywheel_arn: str) -> None:
        """Let the handler create and update endpoints on this flywheel and read its model type."""
        self._add_once(self._creates, flywheel_arn)
        self._add_once(self._flywheels, flywheel_arn)

    def allow_pass_role(self, role_arn: str) -> None:
        """Let the handler pass this data-access role, to Comprehend only."""
        self._add_once(self._pass_role, role_arn)

    def _add_once(self, statement: iam.PolicyStatement, resource: str) -> None:
        sid = cast(str, statement.sid)
        if sid not in self._resources:
            self._resources[sid] = set()
            if statement is not self._creates:
                self.policy.add_statements(statement)
        if resource not in self._resources[sid]:
            self._resources[sid].add(resource)
            statement.add_resources(resource)


def _acknowledge_wildcards(cfn_policy: cdk.CfnResource) -> None:
    """Acknowledge cdk-nag's AwsSolutions-IAM5 for exactly the wildcards of the policy, with the reason.

    cdk-nag is not a dependency of this library, so both of its mechanisms are written directly:
    CDK's ``Validations.acknowledge`` (read by cdk-nag 3, on aws-cdk-lib versions that have it) and
    the ``cdk_nag`` template metadata (read by cdk-nag 2).
    """
    findings = [
        f"Resource::arn:<AWS::Partition>:comprehend:<AWS::Region>:<AWS::AccountId>:{kind}/*"
        for kind in contract.ENDPOINT_KINDS
    ]
    findings.append("Resource::*")
    validations = getattr(cdk, "Validations", None)
    if validations is not None:
        validations.of(cfn_policy).acknowledge(
            *(cdk.Acknowledgment(id=f"AwsSolutions-IAM5[{finding}]", reason=WILDCARD_REASON) for finding in findings)
        )
    cfn_policy.add_metadata(
        "cdk_nag",
        {"rules_to_suppress": [{"id": "AwsSolutions-IAM5", "reason": WILDCARD_REASON, "applies_to": findings}]},
    )


def _retention_in_days(retention: logs.RetentionDays) -> int | None:
    """``RetentionInDays`` for ``retention`` as CDK's ``LogGroup`` renders it (None for ``INFINITE``).

    jsii gives Python the enum's names, not its numbers: a log group in a throwaway stack renders it.
    """
    probe = cdk.Stack()
    group = logs.LogGroup(probe, "Probe", retention=retention)
    days = probe.resolve(cast(logs.CfnLogGroup, group.node.default_child).retention_in_days)
    return None if days is None else int(days)
