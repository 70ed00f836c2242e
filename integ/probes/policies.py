"""The IAM policies the probes assume roles with: the construct's own endpoint statements, rebuilt in plain
Python from the handler's contract (``comprehend_cr.contract``: the actions and tag keys; no aws-cdk-lib at run
time), and a create-only policy.

``construct_policy`` must stay the policy ``constructs/cdk_comprehend_endpoint/_provider.py`` synthesizes for
the endpoint actions (the statements ``ManageEndpointsThisStackOwns``,
``TagEndpointsThisStackOwnsButNotTheirOwnership`` and ``TellGoneFromNotOurs``);
``tests/probes/test_probes_offline.py`` compares the two, so a change to the construct's policy fails there
until the probes follow it.
"""

from __future__ import annotations

from typing import Any

from comprehend_cr import contract

STACK_TAG = contract.STACK_TAG
ENDPOINT_KINDS = contract.ENDPOINT_KINDS

Policy = dict[str, Any]


def owned_endpoints(partition: str, region: str, account: str) -> list[str]:
    """The resource patterns of the construct's tag-conditioned statements: every endpoint of both types."""
    return [f"arn:{partition}:comprehend:{region}:{account}:{kind}/*" for kind in ENDPOINT_KINDS]


def construct_statements(partition: str, region: str, account: str, stack_id: str) -> list[dict[str, Any]]:
    """The construct's statements for endpoints created earlier: by ownership tag, and ListEndpoints."""
    owned = owned_endpoints(partition, region, account)
    owned_by_stack = {"StringEquals": {f"aws:ResourceTag/{STACK_TAG}": stack_id}}
    return [
        {
            "Sid": "ManageEndpointsThisStackOwns",
            "Effect": "Allow",
            "Action": list(contract.OWNED_ENDPOINT_ACTIONS),
            "Resource": owned,
            "Condition": owned_by_stack,
        },
        {
            "Sid": "TagEndpointsThisStackOwnsButNotTheirOwnership",
            "Effect": "Allow",
            "Action": list(contract.TAG_ACTIONS),
            "Resource": owned,
            "Condition": {
                **owned_by_stack,
                "ForAllValues:StringNotEquals": {"aws:TagKeys": list(contract.PROTECTED_TAGS)},
            },
        },
        {"Sid": "TellGoneFromNotOurs", "Effect": "Allow", "Action": "comprehend:ListEndpoints", "Resource": "*"},
    ]


def construct_policy(partition: str, region: str, account: str, stack_id: str) -> Policy:
    """The construct's endpoint policy for the stack ``stack_id`` (no CreateEndpoint: see ``create_only``)."""
    return {"Version": "2012-10-17", "Statement": construct_statements(partition, region, account, stack_id)}


def create_only(*resources: str) -> Policy:
    """The construct's ``CreateEndpointsOfTheTemplate`` statement on ``resources`` (endpoint ARNs, models),
    and ListEndpoints, which grants nothing on an endpoint but shows when the role's policy is in effect
    (no TagResource, nothing else)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CreateEndpointsOfTheTemplate",
                "Effect": "Allow",
                "Action": "comprehend:CreateEndpoint",
                "Resource": list(resources),
            },
            {
                "Sid": "ShowsThePolicyIsInEffect",
                "Effect": "Allow",
                "Action": "comprehend:ListEndpoints",
                "Resource": "*",
            },
        ],
    }


def listed(client: Any) -> Any:
    """A call every probe role may make whatever the tags (its warm-up: IAM is eventually consistent)."""
    return client.list_endpoints(MaxResults=1)
