"""AWS CDK construct library: Amazon Comprehend custom-model endpoints as a custom resource.

``ComprehendEndpoint`` deploys a ``Custom::ComprehendEndpoint`` backed by one Lambda function per
stack; ``ComprehendEndpoint.from_endpoint_arn`` imports an existing endpoint.
"""

from cdk_comprehend_endpoint.endpoint import RESOURCE_TYPE, ComprehendEndpoint, IComprehendEndpoint

__all__ = ["RESOURCE_TYPE", "ComprehendEndpoint", "IComprehendEndpoint"]
