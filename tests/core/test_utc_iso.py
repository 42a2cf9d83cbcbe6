"""``utc_iso`` keeps the text of the last whole second (it runs for every stored record):
it must give exactly what ``datetime.isoformat(timespec="milliseconds")`` gives."""

from datetime import datetime, timezone

from hypothesis import given, strategies as st

from facilitation_kit.core.record import utc_iso


def reference(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False, allow_infinity=False))
def test_same_text_as_datetime(ts):
    assert utc_iso(ts) == reference(ts)


def test_edges_of_a_second_and_now():
    for ts in (0.0, 1.9999995, 1700000000.9999996, 1700000000.0004999, 1700000000.0005, 1700000001.0):
        assert utc_iso(ts) == reference(ts)
    now = utc_iso()
    assert now.endswith("Z") and len(now) == len("2026-12-04T18:46:24.842Z")
