"""``aweigh monitor run|show``: bad arguments get one clear line and exit 1."""

from __future__ import annotations

import pytest

from tests.cli._support import invoke


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("monitor", "run", "--model", "m", "--version", "1", "--start", "noon"), "ISO 8601"),
        (("monitor", "run", "--version", "1", "--start", "2026-11-29T09:00"), "--model"),
        (("monitor", "run", "--model", "m", "--start", "2026-11-29T09:00"), "--version"),
        (("monitor", "show", "m", "--kind", "vibes"), "unknown"),
    ],
)
def test_bad_monitor_arguments_say_what_to_fix(args: tuple[str, ...], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 1
    assert message in result.output


def test_a_pass_with_no_events_says_nothing_is_new() -> None:
    result = invoke("monitor", "run")
    assert result.exit_code == 0, result.output
    assert "Nothing new since the last pass" in result.output
