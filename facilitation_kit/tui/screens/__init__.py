"""Screens of the facilitator's terminal app: the main cockpit, the projector view and
the dialogs (help, confirm, timer, export, join address)."""
