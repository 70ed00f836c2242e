"""Which stack and which resource own an endpoint: reserved tags written when the endpoint is created.

CloudFormation deletes removed and replaced endpoints *after* the handler's policy has moved on to
the new template (and, on rollback, back to the old one), so permissions keyed to the names in the
current template cannot reach them. Every endpoint the handler creates therefore carries two tags:

- ``cdk-comprehend-endpoint:stack-id``: the StackId of the stack that created it;
- ``cdk-comprehend-endpoint:logical-id``: the LogicalResourceId of the resource that created it;
- ``cdk-comprehend-endpoint:request-id``: the RequestId of the CloudFormation request that created it.
  Only endpoints that carry it are ever swept as strays (see ``comprehend_cr.sweep``): one created before
  this tag existed (cdk-comprehend-endpoint 0.2) may have been kept on purpose and is never touched.

and, while its resource has ``RemovalPolicy: Retain`` and CloudFormation knows it as the resource's physical
id, ``cdk-comprehend-endpoint:retained``: CloudFormation will not delete it when it is replaced or removed,
so no sweep may either.

The handler's policy allows Describe/Update/Delete/Tag/Untag/ListTags only on endpoints whose stack
tag is this stack's id, and never the untagging or retagging of a reserved key. The handler itself
also reads the tags before it changes or deletes an endpoint, so that a broader policy than ours
still never lets it touch an endpoint another stack or resource owns. Users cannot set tags with
the reserved prefix; tag convergence never removes or changes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from comprehend_cr.contract import PROTECTED_TAGS, REQUEST_TAG, RESOURCE_TAG, RETAINED_TAG, STACK_TAG

__all__ = [
    "OWNERSHIP_TAG_KEYS",
    "PROTECTED_TAGS",
    "RETAINED_TAG",
    "STACK_TAG",
    "Owner",
    "is_retained",
    "is_sweepable",
]

OWNERSHIP_TAG_KEYS = f"{STACK_TAG},{RESOURCE_TAG}"
"""The ownership tag keys, as a successful answer's ``Data.OwnershipTagKeys`` names them."""


def is_retained(tags: Mapping[str, str]) -> bool:
    """Whether the endpoint carries the retained mark (its resource keeps it on purpose)."""
    return RETAINED_TAG in tags


def is_sweepable(tags: Mapping[str, str]) -> bool:
    """Whether a sweep may ever remove the endpoint: created with a request tag and not retained."""
    return REQUEST_TAG in tags and not is_retained(tags)


@dataclass(frozen=True)
class Owner:
    """The stack and logical resource an endpoint belongs to."""

    stack_id: str
    logical_id: str

    def tags(self) -> dict[str, str]:
        """The ownership tags (stack and logical resource)."""
        return {STACK_TAG: self.stack_id, RESOURCE_TAG: self.logical_id}

    def creation_tags(self, request_id: str) -> dict[str, str]:
        """The reserved tags CreateEndpoint writes: the ownership tags and the creating request."""
        return {**self.tags(), REQUEST_TAG: request_id}

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> Owner | None:
        """The owner the tags name, or None when the stack tag is missing (not created by this handler)."""
        stack_id = tags.get(STACK_TAG)
        if not stack_id:
            return None
        return cls(stack_id, tags.get(RESOURCE_TAG, ""))

    def describe(self) -> str:
        return f"resource {self.logical_id or '?'} of stack {self.stack_id}"
