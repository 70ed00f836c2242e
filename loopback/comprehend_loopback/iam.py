"""IAM policy evaluation for the loopback world: identity policies, as IAM evaluates them.

What is modelled (from the IAM User Guide's "Policy evaluation logic" and "Condition operators"):

- an explicit ``Deny`` in any statement wins; otherwise an ``Allow`` is needed; otherwise the
  request is implicitly denied;
- ``Action``/``NotAction`` with ``*`` and ``?`` wildcards, case-insensitively;
- ``Resource``/``NotResource``: ARNs compared segment by segment (partition, service, region,
  account, resource), each a case-sensitive glob; ``*`` alone matches everything;
- conditions: every operator of a statement and every key of an operator must hold; several
  policy values for a key are alternatives. Operators ``String(Not)Equals(IgnoreCase)``,
  ``String(Not)Like``, ``Arn(Not)Equals``, ``Arn(Not)Like``, ``Bool``, ``Null``, with the
  ``ForAllValues:``/``ForAnyValue:`` prefixes and the ``IfExists`` suffix. A missing key makes a
  positive operator false and a negated one true; ``ForAllValues`` is true for a missing or empty
  key and ``ForAnyValue`` false. Condition key names are case-insensitive.

A request that touches several resources (CreateEndpoint names the endpoint, the model and the
flywheel) is allowed only when each resource is allowed on its own, with that resource's own
condition keys (``aws:ResourceTag/...`` are the tags of that resource). This per-resource reading
is how the Service Authorization Reference presents multi-resource actions; the IAM documentation
does not spell it out.

Anything the evaluator does not know (an operator, a policy variable such as ``${aws:username}``)
raises :class:`UnsupportedPolicy` instead of guessing: a permissive evaluator proves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["Allow", "ExplicitDeny", "ImplicitDeny"]
ConditionValue = str | Sequence[str]


class UnsupportedPolicy(ValueError):
    """The policy uses something this evaluator does not model."""


@dataclass(frozen=True)
class Resource:
    """One resource of a request and the condition keys that come with it."""

    arn: str
    keys: Mapping[str, ConditionValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Denied:
    """Why a request was refused: the action, the resource and the kind of denial."""

    action: str
    resource: str
    decision: Decision

    def message(self, principal: str) -> str:
        if self.decision == "ExplicitDeny":
            why = "an explicit deny in an identity-based policy"
        else:
            why = f"no identity-based policy allows the {self.action} action"
        return (
            f"User: {principal} is not authorized to perform: {self.action} on resource: {self.resource} because {why}"
        )


def authorize(
    documents: Iterable[Mapping[str, Any]],
    action: str,
    resources: Sequence[Resource],
    request_keys: Mapping[str, ConditionValue] | None = None,
) -> Denied | None:
    """None when ``action`` is allowed on every resource, else the first refusal."""
    docs = list(documents)
    for resource in resources:
        keys = {**(request_keys or {}), **resource.keys}
        decision = evaluate(docs, action, resource.arn, keys)
        if decision != "Allow":
            return Denied(action, resource.arn, decision)
    return None


def evaluate(
    documents: Iterable[Mapping[str, Any]], action: str, resource: str, keys: Mapping[str, ConditionValue]
) -> Decision:
    """The decision of the identity policies ``documents`` for one action on one resource."""
    lowered = {name.lower(): value for name, value in keys.items()}
    allowed = False
    for document in documents:
        for statement in _statements(document):
            if not _applies(statement, action, resource, lowered):
                continue
            effect = statement.get("Effect")
            if effect == "Deny":
                return "ExplicitDeny"
            if effect == "Allow":
                allowed = True
            else:
                raise UnsupportedPolicy(f"Effect must be Allow or Deny, got {effect!r}")
    return "Allow" if allowed else "ImplicitDeny"


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _applies(statement: Mapping[str, Any], action: str, resource: str, keys: Mapping[str, ConditionValue]) -> bool:
    if "Action" in statement:
        if not any(_glob(pattern, action, ignore_case=True) for pattern in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_glob(pattern, action, ignore_case=True) for pattern in _as_list(statement["NotAction"])):
            return False
    else:
        raise UnsupportedPolicy("a statement needs Action or NotAction")
    if "Resource" in statement:
        if not any(arn_matches(pattern, resource) for pattern in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(arn_matches(pattern, resource) for pattern in _as_list(statement["NotResource"])):
            return False
    else:
        raise UnsupportedPolicy("an identity policy statement needs Resource or NotResource")
    return all(
        _condition(operator, name, values, keys)
        for operator, block in (statement.get("Condition") or {}).items()
        for name, values in block.items()
    )


def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcards: ``*`` any run of characters (``/`` and ``:`` included), ``?`` one character."""
    if "${" in pattern:
        raise UnsupportedPolicy(f"policy variables are not modelled: {pattern!r}")
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM's ARN matching: ``*`` alone matches anything; otherwise the six colon-separated parts
    (``arn``, partition, service, region, account, resource) are globbed one by one."""
    if pattern == "*":
        return True
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    return all(_glob(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


_POSITIVE: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda policy, value: policy == value,
    "StringEqualsIgnoreCase": lambda policy, value: policy.lower() == value.lower(),
    "StringLike": lambda policy, value: _glob(policy, value),
    "ArnEquals": lambda policy, value: policy == value,
    "ArnLike": arn_matches,
    "Bool": lambda policy, value: policy.lower() == value.lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition(operator: str, name: str, policy_values: Any, keys: Mapping[str, ConditionValue]) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    values = [str(v) for v in _as_list(policy_values)]
    if any("${" in v for v in values):
        raise UnsupportedPolicy(f"policy variables are not modelled: {values!r}")
    present = name.lower() in keys
    raw = keys.get(name.lower())
    request_values = [str(v) for v in _as_list(raw)] if present else []

    if base == "Null":
        if qualifier or if_exists:
            raise UnsupportedPolicy(f"{operator} is not a valid operator")
        wants_missing = values[0].lower() == "true"
        return (not present) == wants_missing
    negated = base in _NEGATED
    test = _POSITIVE.get(_NEGATED.get(base, base))
    if test is None:
        raise UnsupportedPolicy(f"condition operator {operator!r} is not modelled")

    def holds(value: str) -> bool:
        matched = any(test(policy, value) for policy in values)
        return not matched if negated else matched

    if qualifier == "ForAllValues":
        return all(holds(v) for v in request_values)
    if qualifier == "ForAnyValue":
        return any(holds(v) for v in request_values)
    if qualifier:
        raise UnsupportedPolicy(f"condition qualifier {qualifier!r} is not modelled")
    if not present:
        return if_exists or negated
    if len(request_values) != 1:
        raise UnsupportedPolicy(f"{operator} on the multivalued key {name} needs ForAllValues/ForAnyValue")
    return holds(request_values[0])
