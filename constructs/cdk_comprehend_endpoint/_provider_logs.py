"""What happens to the handler's log group: ``ComprehendEndpoint.configure_provider``.

The handler function, and so its log group (``<stack>/ComprehendEndpointProvider/LogGroup``), is one per
stack, created by the stack's first endpoint. By default the log group keeps 30 days of logs and has
CDK's default removal policy for log groups, ``RETAIN``: it outlives ``cdk destroy``, so that the logs of
a failed delete can still be read. ``configure_provider`` changes either, for the whole stack, in any order
relative to the endpoints: settings given before the provider has its resources are kept on the provider
construct and applied when the first endpoint adds them; given after, they are applied at once. For each
setting the last call that gives it wins, as with ``apply_removal_policy``.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_comprehend_endpoint import _types, _validation
from cdk_comprehend_endpoint._provider import EndpointProvider, LogSettings

LOG_REMOVAL_POLICIES = frozenset(p for p in cdk.RemovalPolicy if p.name != "SNAPSHOT")
"""CloudFormation cannot snapshot a log group."""


def configure(
    scope: Construct,
    *,
    log_removal_policy: cdk.RemovalPolicy | None,
    log_retention: logs.RetentionDays | None,
) -> None:
    """Check the settings, then hand them to the stack's provider (which applies them now, or when the first
    endpoint adds its resources)."""
    _types.construct(scope)
    _types.provider_args(scope, log_removal_policy=log_removal_policy, log_retention=log_retention)
    if log_removal_policy is not None:
        _validation.check(
            scope,
            log_removal_policy in LOG_REMOVAL_POLICIES,
            "log_removal_policy",
            "must be DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE (CloudFormation cannot snapshot a log group)",
            log_removal_policy,
        )
    provider = EndpointProvider.in_stack(cdk.Stack.of(scope))
    provider.configure_logs(LogSettings(log_removal_policy, log_retention))
