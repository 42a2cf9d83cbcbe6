"""Exports and reports: JSON, CSV, HTML, Markdown, charts, and each activity's results."""
