"""A plugin whose register_activities raises."""

from facilitation_kit import hookimpl


@hookimpl
def register_activities(register):
    raise RuntimeError("the activity's data file is missing")
