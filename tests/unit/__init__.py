"""Unit tier: the handler package (``lambda/comprehend_cr``) without the loopback world: pure functions
(properties, requests and ARNs, the answer's body), the lifecycle driven request by request against a strict
botocore Stubber (every call checked against the real Comprehend API model) or small recording fakes, and
the crhelper behaviour the handler's adapter relies on."""
