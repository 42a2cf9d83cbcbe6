"""The activities that ship with facilitation-kit.

Each module here is a plugin registered through the ``facilitation_kit`` entry-point
group in ``pyproject.toml``, exactly as a third-party package would register its own.
"""
