"""Probes tier: the probes of AWS behaviour (``integ/probes``, ``make probe`` on a real account) run against the
loopback world, where each must come out confirmed, and the probe CLI run end to end without an account."""
