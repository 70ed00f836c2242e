"""``make bench``: figures printed, never asserted (these machines are shared and noisy)."""
