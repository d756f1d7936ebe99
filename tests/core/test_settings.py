"""Settings: defaults, AWEIGH_* variables, aweigh.toml, and clear errors for bad config."""

from __future__ import annotations

from pathlib import Path

import pytest

from aweigh.core.errors import ConfigError
from aweigh.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in (
        "AWEIGH_HOME",
        "AWEIGH_STORE_URL",
        "AWEIGH_ARTIFACTS_URL",
        "AWEIGH_CONFIG",
        "AWEIGH_USER",
        "AWEIGH_STORE_BUSY_TIMEOUT_S",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_need_no_configuration() -> None:
    s = load_settings()
    assert s.home == Path(".aweigh")
    assert s.resolved_store_url == "sqlite:///.aweigh/aweigh.db"
    assert s.resolved_artifacts_url == ".aweigh/artifacts"
    assert s.user


def test_environment_overrides_the_toml_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "aweigh.toml").write_text('store_url = "memory://"\nuser = "from-toml"\n')
    assert load_settings().store_url == "memory://"
    monkeypatch.setenv("AWEIGH_USER", "from-env")
    assert load_settings().user == "from-env"
    assert load_settings(user="from-code").user == "from-code"


def test_aweigh_config_names_another_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    other = tmp_path / "prod.toml"
    other.write_text('home = "/srv/aweigh"\n')
    monkeypatch.setenv("AWEIGH_CONFIG", str(other))
    assert load_settings().resolved_store_url == "sqlite:////srv/aweigh/aweigh.db"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("store_url = [", "TOML"),
        ("unknown_knob = 1", "unknown_knob"),
        ("store_busy_timeout_s = -1", "store_busy_timeout_s"),
        ('store_busy_timeout_s = "soon"', "store_busy_timeout_s"),
        ('user = "   "', "user"),
    ],
)
def test_bad_config_files_name_the_problem(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "aweigh.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_a_missing_config_file_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWEIGH_CONFIG", "/nowhere/aweigh.toml")
    with pytest.raises(ConfigError, match="not a file"):
        load_settings()


def test_bad_environment_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWEIGH_STORE_BUSY_TIMEOUT_S", "forever")
    with pytest.raises(ConfigError, match="store_busy_timeout_s"):
        load_settings()
