"""AWS CDK construct library: Amazon Comprehend custom-model endpoints as a custom resource.

``ComprehendEndpoint`` deploys a ``Custom::ComprehendEndpoint`` backed by one Lambda function per
stack; ``ComprehendEndpoint.from_endpoint_arn`` / ``from_endpoint_name`` / ``from_endpoint_attributes``
import an existing endpoint. Every endpoint has ``grant_invoke``, CloudWatch metrics and an idle-cost
alarm; an endpoint defined in the app can autoscale its inference units.
"""

from cdk_comprehend_endpoint._imports import ModelType
from cdk_comprehend_endpoint._scaling import ScalableInferenceUnits
from cdk_comprehend_endpoint._types import PropTypeError
from cdk_comprehend_endpoint.endpoint import RESOURCE_TYPE, ComprehendEndpoint, IComprehendEndpoint

__all__ = [
    "RESOURCE_TYPE",
    "ComprehendEndpoint",
    "IComprehendEndpoint",
    "ModelType",
    "PropTypeError",
    "ScalableInferenceUnits",
    "__version__",
]

__version__ = "0.3.0.dev0"
"""The package's version, written only here: the wheel's and sdist's metadata read it (``[tool.hatch.version]``
in pyproject.toml)."""
