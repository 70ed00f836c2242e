"""Lifecycle tier: the handler driven request by request as CloudFormation and Lambda drive it (string
properties, the HTTPS ResponseURL, retries, continuations, cancelled and resent requests, deadlines, logs),
against the loopback world with every call authorized against the policy the construct synthesizes."""
