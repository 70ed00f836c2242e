"""``make demo``: deploy the synthesized sample app on the lifecycle harness's loopback AWS."""
