"""Lifecycle logic of the ``Custom::ComprehendEndpoint`` custom resource.

The modules here are pure logic over boto3 clients that are passed in; ``index.py`` one level up
wires them to crhelper and the Lambda runtime.
"""
