"""The profile page: self-contained, escaped, a plot per column, flags visible."""

from __future__ import annotations

import doctest
import json
import re
import time
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from aweigh.core.errors import InvalidInputError
from aweigh.data.profile import Profile, profile_table
from aweigh.report import _svg, profile_html, render_profile_html

HOSTILE = "<script>alert(1)</script>"
VOID = {"meta", "br", "hr", "img", "input", "link", "line", "rect"}


class _Tags(HTMLParser):
    """Collects tags and checks that every non-void tag is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        self.attributes += attrs
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        self.attributes += attrs

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack.pop() == tag, f"</{tag}> closes the wrong tag"


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    return parser


@pytest.fixture(scope="module")
def adult_page(adult_train: pd.DataFrame) -> tuple[Profile, str]:
    frame = adult_train.assign(
        income_copy=adult_train["income"], same=1, **{HOSTILE: adult_train["age"]}
    )
    frame.loc[:10, "sex"] = HOSTILE
    profile = profile_table(frame, label="income")
    return profile, render_profile_html(profile, title=f"Adult {HOSTILE}")


def test_docstring_examples_run() -> None:
    for module in (profile_html, _svg):
        result = doctest.testmod(module)
        assert result.attempted >= 1
        assert result.failed == 0


def test_page_is_self_contained_and_well_formed(adult_page: tuple[Profile, str]) -> None:
    _, page = adult_page
    tags = _parse(page)

    assert page.startswith("<!doctype html>")
    assert "script" not in tags.seen
    assert not any(name.startswith("on") for name, _ in tags.attributes)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:|//)", page)
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * page.count(
        "<svg"
    )
    assert "<style>" in page
    assert "default-src 'none'" in page


def test_hostile_names_values_and_titles_are_escaped(adult_page: tuple[Profile, str]) -> None:
    _, page = adult_page

    assert HOSTILE not in page
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<title>Adult &lt;script&gt;" in page


def test_every_column_has_a_plot_and_a_row(adult_page: tuple[Profile, str]) -> None:
    profile, page = adult_page

    sections = re.findall(r'<section class="column" id="col-(\d+)">(.*?)</section>', page, re.S)
    assert len(sections) == len(profile)
    assert all("<svg" in body for _, body in sections)
    assert page.count("<tr><td>") == len(profile)
    assert 'aria-label="histogram of age"' in page
    assert 'aria-label="most frequent values of workclass"' in page
    assert "label balance" in page


def test_flags_and_leakage_are_shown(adult_page: tuple[Profile, str]) -> None:
    profile, page = adult_page

    assert "Possible label leakage: <b>income_copy</b>" in page
    assert 'class="flag flag-leakage"' in page
    assert 'class="flag flag-constant"' in page
    assert 'class="flag flag-missing"' in page
    assert 'class="flag flag-outliers"' in page
    assert profile.duplicates > 0
    assert f"Duplicate rows</th><td class='text'>{profile.duplicates:,} (&lt;0.1%)" in page


def test_json_loaded_profiles_render_the_same_page(adult_page: tuple[Profile, str]) -> None:
    profile, page = adult_page
    loaded = json.loads(profile.to_json())

    assert render_profile_html(loaded, title=f"Adult {HOSTILE}") == page
    assert render_profile_html(Profile.from_dict(loaded), title=f"Adult {HOSTILE}") == page


def test_empty_and_odd_tables_render() -> None:
    frame = pd.DataFrame(
        {
            "nothing": [None, None, None],
            "x": [np.inf, -np.inf, np.nan],
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", None]),
            "huge": ["z" * 2_000_000, "y", None],
        }
    )
    empty = render_profile_html(profile_table(pd.DataFrame()), title="empty")
    odd = render_profile_html(profile_table(frame), title="odd")

    _parse(empty)
    _parse(odd)
    assert "no values to plot" in odd
    assert "2024-01-01" in odd
    assert len(odd) < 60_000


def test_non_profiles_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="needs a Profile or the dictionary"):
        render_profile_html({"rows": 3}, title="x")
    with pytest.raises(InvalidInputError, match="'column_profiles' list"):
        render_profile_html({"summary": {"rows": 3}}, title="x")
    broken = {"name": "a", "kind": "numeric", "histogram": {"counts": [1, 2]}}
    with pytest.raises(InvalidInputError, match="column 'a' has a malformed histogram"):
        render_profile_html({"summary": {"column_profiles": [broken]}}, title="x")


def test_ten_thousand_columns_render_in_bounded_time() -> None:
    rng = np.random.default_rng(42)
    wide = pd.DataFrame(rng.normal(size=(8, 10_000)), columns=[f"c{i}" for i in range(10_000)])
    profile = profile_table(wide)

    started = time.perf_counter()
    page = render_profile_html(profile, title="wide")
    elapsed = time.perf_counter() - started

    assert page.count('<section class="column"') == 10_000
    assert elapsed < 30
