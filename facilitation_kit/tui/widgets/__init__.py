"""Widgets of the facilitator's terminal app. Each keeps its own CSS in ``DEFAULT_CSS``,
takes its data as attributes or method calls from its screen, and reports what the
facilitator asked for with messages (:mod:`facilitation_kit.tui.messages`)."""
