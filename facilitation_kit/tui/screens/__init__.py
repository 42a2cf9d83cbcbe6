"""Screens of the facilitator's terminal app: the main cockpit and the dialogs (help,
confirm, timer, export, join address). The room sees the screen page (docs/screen.md)."""
