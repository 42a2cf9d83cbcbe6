"""The garbage collector's policy of a long-running process (``serve --headless``, and the
facilitator's app).

CPython's full collection scans every tracked object, and the event loop stops while it
runs: under the saturated benchmark (1,000 phones, 60,000 contributions stored in a
minute) the host had full collections of 70-190 ms at about 190,000 tracked objects
(docs/performance.md), each holding every ack in flight. Most of those objects live as
long as the process (modules, the agenda, stored records, open connections).

So, after start-up, everything is collected once and frozen (``gc.freeze``), and after
every later full collection what survived it is frozen too: the next full collection
scans only what was made since. Frozen objects are still freed by reference counting;
only garbage *cycles* among them (a closed connection's objects, say) wait, and for
those everything frozen is handed back (``gc.unfreeze``) every :data:`UNFREEZE_EVERY`
seconds, so that the next full collection, one long pause in that time, frees them.
"""

from __future__ import annotations

import gc
import time

__all__ = ["FreezeSurvivors", "UNFREEZE_EVERY", "settle_after_start"]

#: Seconds between hand-backs of the frozen objects to the collector (the bound on how
#: long garbage cycles among them are kept).
UNFREEZE_EVERY = 600.0


class FreezeSurvivors:
    """A ``gc.callbacks`` entry: freeze the survivors of each full collection, and give
    everything back to the collector once every ``every`` seconds."""

    def __init__(self, every: float = UNFREEZE_EVERY):
        self.every = every
        self.unfrozen_at = time.monotonic()
        self.freezes = 0
        self.unfreezes = 0

    def __call__(self, phase: str, info: dict) -> None:
        if phase != "stop" or info.get("generation") != 2:
            return
        now = time.monotonic()
        if now - self.unfrozen_at >= self.every:
            gc.unfreeze()  # the next full collection scans everything: cycles that died frozen go
            self.unfrozen_at = now
            self.unfreezes += 1
        else:
            gc.freeze()
            self.freezes += 1

    def install(self) -> "FreezeSurvivors":
        if self not in gc.callbacks:
            gc.callbacks.append(self)
        return self

    def uninstall(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)


def settle_after_start(every: float = UNFREEZE_EVERY) -> FreezeSurvivors:
    """Collect what start-up left, freeze what lives on, and install the policy (once
    per process: a second call keeps the policy already installed). Used by ``serve
    --headless`` and by the facilitator's app (``run``), whose tables hold many objects."""
    gc.collect()
    gc.freeze()
    installed = next((cb for cb in gc.callbacks if isinstance(cb, FreezeSurvivors)), None)
    return installed or FreezeSurvivors(every).install()
