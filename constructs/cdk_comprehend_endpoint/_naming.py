"""Endpoint names generated from the construct's place in the app."""

from __future__ import annotations

import hashlib
import re

import aws_cdk as cdk

from constructs import Construct

MAX_NAME = 40
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


def generated_endpoint_name(scope: Construct) -> str:
    """A name unique per stack and construct path, at most 40 characters, matching ``NAME_PATTERN``.

    Readable prefix from the stack name and the construct's id, then 8 hex characters of a hash
    of the stack name and full path, so two endpoints in one account and region never collide.
    """
    stack = cdk.Stack.of(scope)
    stack_name = "" if cdk.Token.is_unresolved(stack.stack_name) else stack.stack_name
    digest = hashlib.sha256(f"{stack_name}/{scope.node.path}".encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-zA-Z0-9]+", "-", f"{stack_name}-{scope.node.id}").strip("-")
    readable = readable[: MAX_NAME - len(digest) - 1].strip("-")
    name = f"{readable}-{digest}" if readable else digest
    assert NAME_PATTERN.match(name) and len(name) <= MAX_NAME, name
    return name
