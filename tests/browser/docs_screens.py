"""Copy the screenshots the browser tests took into docs/screens/.

``make docs-screens`` runs tests/browser/test_screen.py and test_screen_languages.py (the
room's screen), test_participant_page.py and test_step_screens.py (the phone page): they
save every view to test-artifacts/screens/. This script then copies the ones the docs
show, so the pictures of docs/screen.md and docs/participants.md can always be made
again from the code as it is."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TAKEN = ROOT / "test-artifacts" / "screens"
DOCS = ROOT / "docs" / "screens"

#: docs/screens/<name> <- test-artifacts/screens/<shot>
SHOTS = {
    "screen-lobby.png": "screen-lobby-1920x1080.png",
    "screen-lobby-1280x720.png": "screen-lobby-1280x720.png",
    "screen-activity.png": "screen-activity-1920x1080.png",
    "screen-wall.png": "screen-wall-1920x1080.png",
    "screen-highlight.png": "screen-highlight-1920x1080.png",
    "screen-blank.png": "screen-blank-1920x1080.png",
    "screen-cloud.png": "screen-cloud-1920x1080.png",
    "screen-vote-hidden.png": "screen-vote-hidden-1920x1080.png",
    "screen-results.png": "screen-results-1920x1080.png",
    "screen-themes.png": "screen-themes-1920x1080.png",
    "screen-themes-1280x720.png": "screen-themes-1280x720.png",
    "screen-results-fi.png": "screen-fi-vote.png",
    # the phone page (docs/participants.md)
    "phone-join.png": "01-join.png",
    "phone-waiting.png": "02-waiting.png",
    "phone-activity-form.png": "04-activity-form.png",
    "phone-my-contributions.png": "05-my-contributions.png",
    "phone-take-back-confirm.png": "06-take-back-confirm.png",
    "phone-closed.png": "07-closed.png",
    "phone-offline-queued.png": "08-offline-queued.png",
    "phone-replaced.png": "09-replaced.png",
    "phone-settings.png": "10-settings.png",
    "phone-join-finnish.png": "11-join-finnish.png",
    "phone-break.png": "phone-break-en.png",
}


def main() -> int:
    missing = [shot for shot in SHOTS.values() if not (TAKEN / shot).is_file()]
    if missing:
        print(f"docs-screens: not taken (run the screen tests first): {', '.join(missing)}", file=sys.stderr)
        return 1
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, shot in SHOTS.items():
        shutil.copyfile(TAKEN / shot, DOCS / name)
        print(f"docs/screens/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
