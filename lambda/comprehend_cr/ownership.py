"""Which stack and which resource own an endpoint: reserved tags written when the endpoint is created.

CloudFormation deletes removed and replaced endpoints *after* the handler's policy has moved on to
the new template (and, on rollback, back to the old one), so permissions keyed to the names in the
current template cannot reach them. Every endpoint the handler creates therefore carries two tags:

- ``cdk-comprehend-endpoint:stack-id``: the StackId of the stack that created it;
- ``cdk-comprehend-endpoint:logical-id``: the LogicalResourceId of the resource that created it.

The handler's policy allows Describe/Update/Delete/Tag/Untag/ListTags only on endpoints whose stack
tag is this stack's id, and never the untagging or retagging of a reserved key. The handler itself
also reads the tags before it changes or deletes an endpoint, so that a broader policy than ours
still never lets it touch an endpoint another stack or resource owns. Users cannot set tags with
the reserved prefix; tag convergence never removes or changes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

RESERVED_PREFIX = "cdk-comprehend-endpoint:"
STACK_TAG = RESERVED_PREFIX + "stack-id"
RESOURCE_TAG = RESERVED_PREFIX + "logical-id"


def is_reserved(key: str) -> bool:
    """True for tag keys users may not set or remove: the ownership prefix and AWS's ``aws:``."""
    lowered = key.lower()
    return lowered.startswith(RESERVED_PREFIX) or lowered.startswith("aws:")


@dataclass(frozen=True)
class Owner:
    """The stack and logical resource an endpoint belongs to."""

    stack_id: str
    logical_id: str

    def tags(self) -> dict[str, str]:
        """The ownership tags to write when creating an endpoint."""
        return {STACK_TAG: self.stack_id, RESOURCE_TAG: self.logical_id}

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> Owner | None:
        """The owner the tags name, or None when the stack tag is missing (not created by this handler)."""
        stack_id = tags.get(STACK_TAG)
        if not stack_id:
            return None
        return cls(stack_id, tags.get(RESOURCE_TAG, ""))

    def describe(self) -> str:
        return f"resource {self.logical_id or '?'} of stack {self.stack_id}"
