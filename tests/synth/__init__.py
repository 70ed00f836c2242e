"""Synth tier: what the construct synthesizes (templates, names, policies, metrics, scaling), its
synth-time checks and their messages, cdk-nag, cfn-lint and the real CLI synth, the README's and docs'
Python blocks, the integ snapshot and runner, the API reference, tooling and repository files."""
