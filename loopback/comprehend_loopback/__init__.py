"""The lifecycle test harness: a loopback AWS that models Comprehend endpoints faithfully.

Reused by the tests, ``make bench`` and ``make demo``. Nothing here talks to real AWS.

- :mod:`.clock`: a virtual clock, so a 20-minute create runs in milliseconds;
- :mod:`.comprehend`: the endpoint model (statuses over time, tokens, name conflicts, quotas);
- :mod:`.server`: an HTTP server speaking Comprehend's JSON protocol, Lambda's Invoke and
  AddPermission/RemovePermission, and EventBridge's rule APIs, with injectable throttling/5xx;
- :mod:`.receiver`: an HTTPS receiver for pre-signed (SigV4-shaped) ResponseURLs, with a test CA;
- :mod:`.stacks`: CloudFormation's view of its stacks and resources (statuses and their times), which
  the server's DescribeStacks/DescribeStackResource (:mod:`.cfnquery`) answer from;
- :mod:`.cloudformation`: a driver that plays CloudFormation (with its real timing: send times,
  cancellations, re-sent requests) and Lambda's async invocation.
"""
