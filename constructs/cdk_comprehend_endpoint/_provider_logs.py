"""What happens to the handler's log group: ``ComprehendEndpoint.configure_provider``.

The handler function, and so its log group (``<stack>/ComprehendEndpointProvider/LogGroup``), is one per
stack, created by the stack's first endpoint. By default the log group keeps 30 days of logs and has
CDK's default removal policy for log groups, ``RETAIN``: it outlives ``cdk destroy``, so that the logs of
a failed delete can still be read. ``configure_provider`` changes either, for the whole stack, in any order
relative to the endpoints: settings given before the provider exists are kept for the stack and applied
when the first endpoint creates it; given after, they are applied at once. For each setting the last
call that gives it wins, as with ``apply_removal_policy``.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_comprehend_endpoint import _types, _validation
from cdk_comprehend_endpoint._provider import PROVIDER_ID, EndpointProvider

LOG_REMOVAL_POLICIES = frozenset(p for p in cdk.RemovalPolicy if p.name != "SNAPSHOT")
"""CloudFormation cannot snapshot a log group."""


@dataclass(frozen=True)
class LogSettings:
    removal_policy: cdk.RemovalPolicy | None
    retention: logs.RetentionDays | None


_PENDING: weakref.WeakKeyDictionary[cdk.Stack, LogSettings] = weakref.WeakKeyDictionary()
"""Settings of stacks whose provider does not exist yet."""


def configure(
    scope: Construct,
    *,
    log_removal_policy: cdk.RemovalPolicy | None,
    log_retention: logs.RetentionDays | None,
) -> None:
    """Check the settings, then apply them to the stack's provider now, or when the first endpoint creates it."""
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
    stack = cdk.Stack.of(scope)
    settings = LogSettings(log_removal_policy, log_retention)
    existing = stack.node.try_find_child(PROVIDER_ID)
    if isinstance(existing, EndpointProvider):
        _apply(existing, settings)
        return
    earlier = _PENDING.get(stack)
    if earlier is not None:  # a setting left out keeps its earlier value, as it would on an existing provider
        settings = LogSettings(
            settings.removal_policy if settings.removal_policy is not None else earlier.removal_policy,
            settings.retention if settings.retention is not None else earlier.retention,
        )
    _PENDING[stack] = settings


def apply_pending(stack: cdk.Stack, provider: EndpointProvider) -> None:
    """Apply settings given before ``provider`` existed (once; a dict lookup for every later endpoint)."""
    settings = _PENDING.pop(stack, None)
    if settings is not None:
        _apply(provider, settings)


def _apply(provider: EndpointProvider, settings: LogSettings) -> None:
    if settings.removal_policy is not None:
        provider.log_group.apply_removal_policy(settings.removal_policy)
    if settings.retention is not None:
        cfn = cast(logs.CfnLogGroup, provider.log_group.node.default_child)
        cfn.retention_in_days = _retention_in_days(settings.retention)


def _retention_in_days(retention: logs.RetentionDays) -> int | None:
    """``RetentionInDays`` for ``retention`` as CDK's ``LogGroup`` renders it (None for ``INFINITE``).

    jsii gives Python the enum's names, not its numbers: a log group in a throwaway stack renders it.
    """
    probe = cdk.Stack()
    group = logs.LogGroup(probe, "Probe", retention=retention)
    days = probe.resolve(cast(logs.CfnLogGroup, group.node.default_child).retention_in_days)
    return None if days is None else int(days)
