"""The recent-request ring behaves like a bounded, oldest-out dict (newest entry wins)."""

from __future__ import annotations

from collections import OrderedDict

from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.serving.recent import RecentRequests

ids = st.text(min_size=1, max_size=12)
entries = st.lists(
    st.tuples(ids, st.sampled_from(["churn", "fraud"]), st.none() | st.integers(1, 9)),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(entries=entries, capacity=st.integers(0, 16), asked=st.lists(ids, max_size=10))
def test_ring_matches_a_bounded_dict_of_the_newest_entries(
    entries: list[tuple[str, str, int | None]], capacity: int, asked: list[str]
) -> None:
    ring = RecentRequests(capacity)
    kept: list[tuple[str, str, int | None]] = []
    for rid, model, version in entries:
        ring.add(rid, model, version, f"tok-{rid}" if version else None)
        kept = [*kept, (rid, model, version)][-capacity:] if capacity else []
    expected: OrderedDict[str, tuple[str, int | None, str | None]] = OrderedDict()
    for rid, model, version in kept:  # later entries overwrite earlier ones
        expected[rid] = (model, version, f"tok-{rid}" if version else None)
    wanted = [rid for rid, _, _ in entries[:5]] + asked
    assert ring.find(wanted) == {rid: expected[rid] for rid in wanted if rid in expected}
    assert len(ring) == min(len(entries), capacity)


def test_a_full_ring_forgets_the_oldest_request_first() -> None:
    ring = RecentRequests(20_000)
    for i in range(25_000):
        ring.add(f"req-{i}", "adult-income", 2, None)
    found = ring.find(["req-0", "req-4999", "req-5000", "req-24999"])
    assert set(found) == {"req-5000", "req-24999"}
    assert found["req-24999"] == ("adult-income", 2, None)
