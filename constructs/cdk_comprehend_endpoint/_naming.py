"""Endpoint names generated from the construct's place in the app."""

from __future__ import annotations

import hashlib
import re

import aws_cdk as cdk
from constructs import Construct

from cdk_comprehend_endpoint._contract import contract


def generated_endpoint_name(scope: Construct, stack: cdk.Stack) -> str:
    """A name unique per stack and construct path, at most 40 characters, matching the contract's endpoint name.

    The construct's id (whole when it fits), as much of the stack name as fits before it, then 8 hex
    characters of a hash of the stack name and full path, so that two endpoints in one account and
    region never collide.
    """
    stack_name = "" if cdk.Token.is_unresolved(stack.stack_name) else stack.stack_name
    digest = hashlib.sha256(f"{stack_name}/{scope.node.path}".encode()).hexdigest()[:8]
    budget = contract.ENDPOINT_NAME_MAX - len(digest) - 1
    construct_part = _clean(scope.node.id)[:budget].strip("-")
    stack_part = _clean(stack_name)[: max(0, budget - len(construct_part) - 1)].strip("-")
    readable = "-".join(p for p in (stack_part, construct_part) if p)
    name = f"{readable}-{digest}" if readable else digest
    assert contract.endpoint_name_ok(name), name
    return name


def _clean(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-")
