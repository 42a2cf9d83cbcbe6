"""The serving process's garbage-collector policy (host/memory.py): survivors of a full
collection are frozen, and garbage cycles among frozen objects are still freed once the
policy hands everything back to the collector."""

from __future__ import annotations

import gc
import weakref

import pytest

from facilitation_kit.host.memory import FreezeSurvivors


class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the collector can free it


@pytest.fixture
def policy():
    gc.unfreeze()
    p = FreezeSurvivors(every=3600.0).install()
    try:
        yield p
    finally:
        p.uninstall()
        gc.unfreeze()
        gc.collect()


def test_a_full_collection_freezes_its_survivors(policy):
    node = Node()
    gc.collect()
    assert policy.freezes == 1
    assert gc.get_freeze_count() > 0
    assert all(o is not node for o in gc.get_objects(generation=2))  # out of the next full scans
    assert gc.is_tracked(node)


def test_a_cycle_that_dies_frozen_is_freed_after_the_hand_back(policy):
    node = Node()
    gone = weakref.ref(node)
    gc.collect()  # node survives it: frozen
    del node
    gc.collect()
    assert gone() is not None  # frozen garbage waits ...
    policy.unfrozen_at -= policy.every  # ... until the hand-back is due
    gc.collect()  # the policy hands everything back after this collection
    assert policy.unfreezes == 1
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert gone() is None
    assert policy.freezes == 3  # and it freezes the survivors again


def test_uninstall_leaves_the_collector_as_it_was(policy):
    policy.uninstall()
    gc.collect()
    assert policy.freezes == 0
    assert policy not in gc.callbacks
