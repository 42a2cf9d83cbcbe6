"""The ``facilitation-kit`` command."""

from .errors import CLIError
from .main import main

__all__ = ["CLIError", "main"]
