"""Maintainer tools, run by hand (``python -m tools.<name>``), never by ``make test``."""
