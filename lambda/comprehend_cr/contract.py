"""The contract between the construct (synth time) and this handler (deploy time), written once.

The endpoint-name and ARN patterns, their lengths, the tag limits and reserved keys, the custom resource's
property and attribute names, the API actions the handler calls, the default unit quota and the list price. The
handler's modules import them from here, and the construct loads this very file (from
``cdk_comprehend_endpoint/_handler/`` in the wheel, ``lambda/`` in a source checkout): so it imports the standard
library only, never boto3 or crhelper.

Sources, one per constant:

- *botocore*: the shape of that name in botocore's Comprehend model, ``botocore/data/comprehend/2017-11-27/
  service-2.json`` (what the service validates a request against).
- *quota*: Amazon Comprehend's documented quotas ("Guidelines and quotas", Amazon Comprehend Developer Guide).
- *project*: this project's own choice; changing it changes what deployed endpoints carry or accept.

Every pattern is meant for ``fullmatch`` (``match`` with ``$`` would accept a trailing newline) and has the
named groups ``partition``, ``region``, ``account`` (and ``kind``, ``name`` where the shape has them).
The ``*_ok`` functions apply a pattern and its length limit together: use them rather than the pattern alone.
"""

from __future__ import annotations

import re
from decimal import Decimal

# --- ARN parts --------------------------------------------------------------------------------------------

PARTITION = r"aws(?:-[^:]+)?"
"""botocore: ``arn:aws(-[^:]+)?`` in ComprehendModelArn, ComprehendFlywheelArn, ComprehendEndpointArn, IamRoleArn."""
REGION = r"[a-zA-Z0-9-]*"
"""botocore: the region part of ComprehendModelArn, ComprehendFlywheelArn and ComprehendEndpointArn."""
ACCOUNT = r"[0-9]{12}"
"""botocore: the account part of every ARN shape above."""
NAME = r"[a-zA-Z0-9](?:-*[a-zA-Z0-9])*"
"""botocore: ComprehendEndpointName's pattern, also the name (and version) part of every Comprehend ARN shape."""
MAX_ARN = 256
"""botocore: ``max`` of ComprehendModelArn, ComprehendFlywheelArn and ComprehendEndpointArn."""

# --- names and ARNs ---------------------------------------------------------------------------------------

ENDPOINT_NAME = re.compile(NAME)
"""botocore: ComprehendEndpointName, ``^[a-zA-Z0-9](-*[a-zA-Z0-9])*$``."""
ENDPOINT_NAME_MAX = 40
"""botocore: ``max`` of ComprehendEndpointName."""
MODEL_KINDS = ("document-classifier", "entity-recognizer")
"""botocore: the resource types of ComprehendModelArn."""
ENDPOINT_KINDS = ("document-classifier-endpoint", "entity-recognizer-endpoint")
"""botocore: the resource types of ComprehendEndpointArn (the model kind plus ``-endpoint``)."""
MODEL_ARN = re.compile(
    rf"arn:(?P<partition>{PARTITION}):comprehend:(?P<region>{REGION}):(?P<account>{ACCOUNT}):"
    rf"(?P<kind>document-classifier|entity-recognizer)/(?P<name>{NAME})(?:/version/{NAME})?"
)
"""botocore: ComprehendModelArn."""
FLYWHEEL_ARN = re.compile(
    rf"arn:(?P<partition>{PARTITION}):comprehend:(?P<region>{REGION}):(?P<account>{ACCOUNT}):flywheel/(?P<name>{NAME})"
)
"""botocore: ComprehendFlywheelArn."""
ENDPOINT_ARN = re.compile(
    rf"arn:(?P<partition>{PARTITION}):comprehend:(?P<region>{REGION}):(?P<account>{ACCOUNT}):"
    rf"(?P<kind>document-classifier-endpoint|entity-recognizer-endpoint)/(?P<name>{NAME})"
)
"""botocore: ComprehendEndpointArn."""
ROLE_ARN = re.compile(rf"arn:(?P<partition>{PARTITION}):iam::(?P<account>{ACCOUNT}):role/.+")
"""botocore: IamRoleArn (``.`` never matches a newline, so ``fullmatch`` refuses one)."""
ROLE_ARN_MAX = 2048
"""botocore: ``max`` of IamRoleArn. Its ``min``, 20, needs no check: every value the pattern matches is longer
(``arn:aws:iam::`` and 12 digits, ``:role/`` and one character: 32)."""
CLIENT_REQUEST_TOKEN = re.compile(r"[a-zA-Z0-9-]{1,64}")
"""botocore: ClientRequestTokenString, ``^[a-zA-Z0-9-]+$``, 1-64 characters."""


def endpoint_name_ok(value: str) -> bool:
    """Whether CreateEndpoint takes ``value`` as EndpointName."""
    return len(value) <= ENDPOINT_NAME_MAX and ENDPOINT_NAME.fullmatch(value) is not None


def model_arn(value: str) -> re.Match[str] | None:
    """The match of ``value`` as a ModelArn (pattern and length), else None."""
    return MODEL_ARN.fullmatch(value) if len(value) <= MAX_ARN else None


def flywheel_arn(value: str) -> re.Match[str] | None:
    """The match of ``value`` as a FlywheelArn (pattern and length), else None."""
    return FLYWHEEL_ARN.fullmatch(value) if len(value) <= MAX_ARN else None


def endpoint_arn(value: str) -> re.Match[str] | None:
    """The match of ``value`` as an EndpointArn (pattern and length), else None."""
    return ENDPOINT_ARN.fullmatch(value) if len(value) <= MAX_ARN else None


def role_arn(value: str) -> re.Match[str] | None:
    """The match of ``value`` as a DataAccessRoleArn (pattern and length), else None."""
    return ROLE_ARN.fullmatch(value) if len(value) <= ROLE_ARN_MAX else None


def client_request_token_ok(value: str) -> bool:
    """Whether CreateEndpoint takes ``value`` as ClientRequestToken."""
    return CLIENT_REQUEST_TOKEN.fullmatch(value) is not None


# --- units and price --------------------------------------------------------------------------------------

MIN_UNITS = 1
"""botocore: ``min`` of InferenceUnitsInteger."""
MAX_DIGITS = 6
"""project: the longest whole number the handler reads (units, capacities, timeouts), so at most 999,999."""
UNIT_QUOTA = 10
"""quota: inference units per endpoint by default (adjustable); more is warned about, not refused."""
PRICE_PER_UNIT_SECOND = Decimal("0.0005")
"""Amazon Comprehend pricing (list price, custom model endpoints): USD per inference unit per second."""

# --- tags -------------------------------------------------------------------------------------------------

TAG_KEY_MAX = 128
"""botocore: TagKey, 1-128 characters."""
TAG_VALUE_MAX = 256
"""botocore: TagValue, 0-256 characters."""
MAX_TAGS = 50
"""quota: tags per Comprehend resource."""
RESERVED_PREFIX = "cdk-comprehend-endpoint:"
"""project: the prefix of the tags the handler writes; users may not set or remove such tags."""
AWS_PREFIX = "aws:"
"""AWS tagging rules: keys starting ``aws:`` (in any case) are reserved for AWS."""
RESERVED_TAG_PREFIXES = (AWS_PREFIX, RESERVED_PREFIX)
STACK_TAG = RESERVED_PREFIX + "stack-id"
"""project: the StackId of the stack that created the endpoint (the policy's ownership condition)."""
RESOURCE_TAG = RESERVED_PREFIX + "logical-id"
"""project: the LogicalResourceId of the resource that created the endpoint."""
REQUEST_TAG = RESERVED_PREFIX + "request-id"
"""project: the RequestId of the CloudFormation request that created the endpoint."""
RETAINED_TAG = RESERVED_PREFIX + "retained"
"""project: set while the resource's RemovalPolicy keeps the endpoint."""
PROTECTED_TAGS = (STACK_TAG, RESOURCE_TAG, REQUEST_TAG)
"""project: written once by CreateEndpoint; the policy forbids tagging or untagging them afterwards."""
RESERVED_TAG_COUNT = len(PROTECTED_TAGS) + 1
"""Reserved tags an endpoint can carry at most (the creation tags and the retained mark)."""
MAX_USER_TAGS = MAX_TAGS - RESERVED_TAG_COUNT
"""What is left for the template's tags once the reserved tags are written."""

# --- the calls the handler makes, which the construct's policy must allow ------------------------------------

OWNED_ENDPOINT_ACTIONS = (
    "comprehend:DeleteEndpoint",
    "comprehend:DescribeEndpoint",
    "comprehend:ListTagsForResource",
    "comprehend:UpdateEndpoint",
)
"""project: what the handler calls on an endpoint its stack owns (granted under ``STACK_TAG``)."""
TAG_ACTIONS = ("comprehend:TagResource", "comprehend:UntagResource")
"""project: how the handler changes an owned endpoint's tags (never the ``PROTECTED_TAGS``)."""
STACK_READ_ACTIONS = (
    "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStackResource",
    "cloudformation:DescribeStacks",
)
"""project: how the handler reads whether its own stack still waits for an answer."""


def is_reserved_tag_key(key: str) -> bool:
    """True for tag keys users may not set or remove: the ownership prefix and AWS's ``aws:``, in any case."""
    return key.lower().startswith(RESERVED_TAG_PREFIXES)


def tag_key_ok(key: str) -> bool:
    """Whether a template may set the tag key ``key`` (its length, and not reserved)."""
    return 1 <= len(key) <= TAG_KEY_MAX and not is_reserved_tag_key(key)


def tag_value_ok(value: str) -> bool:
    """Whether a tag may have ``value``."""
    return len(value) <= TAG_VALUE_MAX


# --- the custom resource: type, properties, attributes (project) ------------------------------------------

RESOURCE_TYPE = "Custom::ComprehendEndpoint"
SERVICE_TOKEN = "ServiceToken"  # noqa: S105 (a property name, not a secret)
SERVICE_TIMEOUT = "ServiceTimeout"
"""CloudFormation's own properties of a custom resource."""
ENDPOINT_NAME_PROPERTY = "EndpointName"
MODEL_ARN_PROPERTY = "ModelArn"
FLYWHEEL_ARN_PROPERTY = "FlywheelArn"
UNITS_PROPERTY = "DesiredInferenceUnits"
ROLE_PROPERTY = "DataAccessRoleArn"
TOKEN_PROPERTY = "ClientRequestToken"  # noqa: S105 (a property name, not a secret)
TAGS_PROPERTY = "Tags"
AUTOSCALING_PROPERTY = "InferenceUnitsAutoScaling"
"""``{MinCapacity, MaxCapacity}``: the range a scaler moves the units in; the handler then leaves them alone."""
AUTOSCALING_KEYS = ("MinCapacity", "MaxCapacity")
REMOVAL_POLICY_PROPERTY = "RemovalPolicy"
REMOVAL_POLICY_DELETE = "Delete"
REMOVAL_POLICY_RETAIN = "Retain"
REMOVAL_POLICIES = (REMOVAL_POLICY_DELETE, REMOVAL_POLICY_RETAIN)
"""The resource's DeletionPolicy/UpdateReplacePolicy as the construct passes it (CloudFormation's words);
left out means ``Delete``."""
PROPERTIES = frozenset(
    {
        SERVICE_TOKEN,
        SERVICE_TIMEOUT,
        ENDPOINT_NAME_PROPERTY,
        MODEL_ARN_PROPERTY,
        FLYWHEEL_ARN_PROPERTY,
        UNITS_PROPERTY,
        ROLE_PROPERTY,
        TOKEN_PROPERTY,
        TAGS_PROPERTY,
        AUTOSCALING_PROPERTY,
        REMOVAL_POLICY_PROPERTY,
    }
)
"""Every property the handler accepts; any other fails the request."""
ENDPOINT_ARN_ATTRIBUTE = "EndpointArn"
"""Also the resource's physical id."""
ENDPOINT_NAME_ATTRIBUTE = "EndpointName"
MODEL_ARN_ATTRIBUTE = "ModelArn"
ENDPOINT_TYPE_ATTRIBUTE = "EndpointType"
"""One of ``ENDPOINT_KINDS``."""
OWNERSHIP_TAG_KEYS_ATTRIBUTE = "OwnershipTagKeys"
ATTRIBUTES = (
    ENDPOINT_ARN_ATTRIBUTE,
    ENDPOINT_NAME_ATTRIBUTE,
    MODEL_ARN_ATTRIBUTE,
    ENDPOINT_TYPE_ATTRIBUTE,
    OWNERSHIP_TAG_KEYS_ATTRIBUTE,
)
"""The ``Fn::GetAtt`` attributes a successful answer carries (the ``Data`` of a SUCCESS)."""
