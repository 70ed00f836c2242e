"""The lifecycle test harness: a loopback AWS that models Comprehend endpoints faithfully.

Reused by the tests, ``make bench`` and ``make demo``. Nothing here talks to real AWS.

- :mod:`.clock`: a virtual clock, so a 20-minute create runs in milliseconds;
- :mod:`.comprehend`: the endpoint model (statuses over time, tokens, name conflicts, quotas);
- :mod:`.server`: an HTTP server speaking Comprehend's JSON protocol, Lambda's Invoke and
  AddPermission/RemovePermission, and EventBridge's rule APIs, with injectable throttling/5xx;
- :mod:`.receiver`: an HTTPS receiver for pre-signed ResponseURLs, with a test CA;
- :mod:`.cloudformation`: a driver that plays CloudFormation and Lambda's async invocation.
"""
