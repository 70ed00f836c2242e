"""Synth-time checks of ``ComprehendEndpoint`` props; unresolved tokens are skipped.

Each error names the construct, the prop, the limit and the value given. The patterns and limits are
the handler's contract (``comprehend_cr.contract``, loaded by ``_contract``): a value passes here exactly
when the handler's property parsing would take it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import aws_cdk as cdk
from constructs import Construct, IConstruct

from cdk_comprehend_endpoint._contract import contract


def path_of(where: Construct | str) -> str:
    """The construct path a message names: a construct's, or the path of one about to be created."""
    return where if isinstance(where, str) else where.node.path


def check(scope: Construct | str, ok: bool, prop: str, rule: str, value: Any) -> None:
    """Raise ``ValueError`` ``ComprehendEndpoint <path>: <prop> <rule>, got <value>`` unless ``ok``."""
    if not ok:
        raise ValueError(f"ComprehendEndpoint {path_of(scope)}: {prop} {rule}, got {value!r}")


NAME_RULE = f"must be 1-{contract.ENDPOINT_NAME_MAX} letters, digits and inner hyphens (^[a-zA-Z0-9](-*[a-zA-Z0-9])*$)"
"""What a message says of an endpoint name CreateEndpoint would refuse."""


def check_endpoint_name(scope: Construct | str, name: str) -> None:
    """Refuse a concrete endpoint name CreateEndpoint would refuse (of an endpoint or an import)."""
    check(scope, contract.endpoint_name_ok(name), "endpoint_name", NAME_RULE, name)


def matches(scope: Construct | str, prop: str, value: str | None, accept: Callable[[str], object], rule: str) -> None:
    """Raise ``ValueError`` unless ``accept(value)`` is truthy (a contract pattern); None and tokens pass."""
    if value is not None and not cdk.Token.is_unresolved(value):
        check(scope, bool(accept(value)), prop, rule, value)


def check_units(scope: Construct | str, units: int | float) -> None:
    """Refuse ``desired_inference_units`` that is not a whole number >= 1 the handler can read (tokens pass)."""
    if cdk.Token.is_unresolved(units):
        return
    whole = isinstance(units, int | float) and not isinstance(units, bool) and float(units).is_integer()
    prop = "desired_inference_units"
    check(scope, whole and units >= contract.MIN_UNITS, prop, f"must be a whole number >= {contract.MIN_UNITS}", units)
    check(
        scope,
        units < 10**contract.MAX_DIGITS,
        prop,
        f"must have at most {contract.MAX_DIGITS} digits (the handler reads no longer numbers)",
        units,
    )


def check_tags(scope: Construct | str, tags: Mapping[str, str] | None) -> None:
    """Refuse tag keys and values TagResource would refuse, a reserved key, or too many tags (tokens pass)."""
    for key, value in (tags or {}).items():
        if cdk.Token.is_unresolved(key):
            continue
        check(
            scope,
            isinstance(key, str) and contract.tag_key_ok(key),
            "tags",
            f"key must be 1-{contract.TAG_KEY_MAX} characters, starting with neither '{contract.AWS_PREFIX}' "
            f"(reserved by AWS) nor '{contract.RESERVED_PREFIX}' (reserved for the ownership tags)",
            key,
        )
        if not cdk.Token.is_unresolved(value):
            check(
                scope,
                isinstance(value, str) and contract.tag_value_ok(value),
                "tags",
                f"value of {key!r} must be a string of at most {contract.TAG_VALUE_MAX} characters",
                value,
            )
    most = contract.MAX_USER_TAGS
    check(scope, len(tags or {}) <= most, "tags", f"must hold at most {most} tags", len(tags or {}))


def model_kind(arn: str | None) -> str | None:
    """``document-classifier`` / ``entity-recognizer`` for a concrete model ARN, else None.

    A token (or an ARN with a token in its region, account or name) is never concrete: its ``${Token[``
    marker is outside those character classes of the model ARN pattern, so it does not match."""
    if arn is None:
        return None
    match = contract.model_arn(arn)
    return match["kind"] if match else None


def check_environment(
    scope: Construct,
    stack: cdk.Stack,
    *,
    model_arn: str | None,
    flywheel_arn: str | None,
    data_access_role_arn: str | None,
) -> None:
    """Refuse a model, flywheel or data-access role that the stack's endpoint could never use.

    An endpoint is created in its stack's account and region and serves a model (or flywheel) of that
    same account and region: models are regional, and a model of another account is used by copying it
    into this one with ImportModel (same region only). ``iam:PassRole`` passes only roles of the caller's
    own account (IAM User Guide), and a role ARN has no region. So a concrete model or flywheel ARN must
    name the stack's region and account, and a concrete role ARN the stack's account (and be a role ARN).
    Each comparison is skipped when either side is a token: an environment-agnostic stack, or an ARN known
    only at deploy time; a concrete role ARN must be a role ARN in every stack. Imports (``from_endpoint_*``)
    of endpoints elsewhere are not checked: they only
    grant and watch, which works across regions and accounts.
    """
    region = None if cdk.Token.is_unresolved(stack.region) else stack.region
    account = None if cdk.Token.is_unresolved(stack.account) else stack.account
    for prop, arn, parse in (
        ("model_arn", model_arn, contract.model_arn),
        ("flywheel_arn", flywheel_arn, contract.flywheel_arn),
    ):
        match = parse(arn) if arn is not None else None
        if match is None:  # absent, malformed (refused before)  or a token: ``${Token[`` never matches
            continue
        reason = "an endpoint serves only a model of its own region and account; ImportModel copies one in"
        if region is not None:
            check(scope, match["region"] == region, prop, f"must be in the stack's region {region} ({reason})", arn)
        if account is not None:
            check(scope, match["account"] == account, prop, f"must be in the stack's account {account} ({reason})", arn)
    if data_access_role_arn is None or cdk.Token.is_unresolved(data_access_role_arn):
        return
    role = contract.role_arn(data_access_role_arn)
    check(
        scope,
        role is not None,
        "data_access_role",
        "must have a role ARN (arn:<partition>:iam::<account>:role/<name>)",
        data_access_role_arn,
    )
    assert role is not None
    if account is not None:
        check(
            scope,
            role["account"] == account,
            "data_access_role",
            f"must be in the stack's account {account} (iam:PassRole passes only roles of the caller's account)",
            data_access_role_arn,
        )


def claim_endpoint_name(scope: Construct, names: dict[str, tuple[str, bool]], name: str, *, generated: bool) -> None:
    """Record that ``scope`` names its endpoint ``name`` in its stack, whose claimed ``names`` (kept by the stack's
    provider construct) map a name to (the path of the endpoint that has it, whether it was generated); refuse a
    name already taken there.

    Two endpoints of one stack are in one account and region, where CreateEndpoint refuses a name in use
    (after a deploy that would fail many minutes in). Endpoint ARNs differ by type
    (``document-classifier-endpoint/NAME`` vs ``entity-recognizer-endpoint/NAME``), but whether the
    service lets the two types share a name is not documented, and an endpoint whose model changes type
    is replaced by one of the other type under the same name: so a name is refused when any endpoint of
    the stack has it, whatever the types. A generated name that equals another endpoint's explicit name
    is refused too. Unresolved names (tokens) are skipped. One dict lookup per endpoint, however many
    endpoints the stack holds.
    """
    if cdk.Token.is_unresolved(name):
        return
    taken = names.get(name)
    if taken is not None:
        other, other_generated = taken
        if generated and other_generated:
            rule = f"(generated) must be unique in the stack, but it is also generated for {other}"
        elif generated:
            rule = f"(generated) must be unique in the stack, but {other} has it as its explicit endpoint_name"
        elif other_generated:
            rule = f"must be unique in the stack, but it is the name generated for {other}"
        else:
            rule = f"must be unique in the stack whatever the model type, but {other} has it too"
        rule += " (give one of them another endpoint_name)"
        check(scope, False, "endpoint_name", rule, name)
    names[name] = (scope.node.path, generated)


class _AppTokens(Construct):
    """The ``client_request_token`` values of an app's endpoints: one construct under the app's root, found
    with ``try_find_child``; it renders nothing."""

    ID = "ComprehendEndpointClientRequestTokens"

    def __init__(self, scope: IConstruct, construct_id: str) -> None:
        super().__init__(cast(Construct, scope), construct_id)
        self.paths: dict[str, str] = {}
        """Token -> path of the endpoint that has it."""

    @classmethod
    def of(cls, root: IConstruct) -> _AppTokens:
        existing = root.node.try_find_child(cls.ID)
        return cast(_AppTokens, existing) if existing is not None else cls(root, cls.ID)


def claim_client_request_token(scope: Construct, token: str | None) -> None:
    """Refuse a ``client_request_token`` another endpoint of the app already uses.

    CreateEndpoint answers a token it has seen with the endpoint that token created: two resources with one
    token would share one endpoint (in two stacks, the second stack's rollback would then fail to delete it).
    Unresolved tokens are skipped.
    """
    if token is None or cdk.Token.is_unresolved(token):
        return
    tokens = _AppTokens.of(scope.node.root).paths
    other = tokens.get(token)
    check(
        scope,
        other is None,
        "client_request_token",
        f"must be unique in the app (CreateEndpoint would answer with the endpoint of {other})",
        token,
    )
    tokens[token] = scope.node.path


KEPT_POLICIES = ("RETAIN", "RETAIN_ON_UPDATE_OR_DELETE")
"""Removal policies under which CloudFormation keeps a replaced or removed endpoint."""


def removal_policy_property(scope: Construct, removal_policy: cdk.RemovalPolicy) -> str | None:
    """The custom resource's ``RemovalPolicy`` property: ``Retain`` when CloudFormation keeps the endpoint on
    replacement or removal (the handler then marks it, so that no stray sweep ever deletes it), else None
    (left out: the handler's default is ``Delete``). SNAPSHOT is refused: CloudFormation cannot snapshot a
    custom resource."""
    check(
        scope,
        removal_policy.name != "SNAPSHOT",
        "removal_policy",
        "must be DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE (CloudFormation cannot snapshot a custom resource)",
        removal_policy,
    )
    return contract.REMOVAL_POLICY_RETAIN if removal_policy.name in KEPT_POLICIES else None
