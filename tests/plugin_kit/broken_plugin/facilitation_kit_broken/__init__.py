"""Broken on purpose: see the entry points in pyproject.toml."""
