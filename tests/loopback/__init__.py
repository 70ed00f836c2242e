"""Loopback tier: the loopback world itself (its fake Comprehend, IAM evaluator, CloudFormation API and
request driver, ResponseURL receiver), held to botocore's model, the Service Authorization Reference and
CloudFormation's documented behaviour."""
