"""The one error the command line reports as a message (exit 2), never a traceback."""


class CLIError(Exception):
    """One line for the user; exit status 2."""
