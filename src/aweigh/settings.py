"""Settings: the only module that reads the environment.

Precedence: keyword arguments, then ``AWEIGH_*`` environment variables, then
``aweigh.toml`` (in the working directory, or the file ``AWEIGH_CONFIG`` names),
then defaults that work with no configuration under ``./.aweigh/``.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from aweigh.core.errors import ConfigError

CONFIG_FILE_ENV = "AWEIGH_CONFIG"
DEFAULT_CONFIG_FILE = "aweigh.toml"


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry in some containers
        return "unknown"


class Settings(BaseSettings):
    """Every knob of aweigh, with defaults that need no configuration."""

    model_config = SettingsConfigDict(env_prefix="AWEIGH_", extra="forbid", validate_default=True)

    home: Path = Field(
        default=Path(".aweigh"),
        description="Folder for embedded data (database, artifacts, events).",
    )
    store_url: str | None = Field(
        default=None,
        description=(
            "Metadata store: 'sqlite:///path.db', 'postgresql://...' or 'memory://'. "
            "Default: sqlite under home."
        ),
    )
    artifacts_url: str | None = Field(
        default=None,
        description=(
            "Artifact store: a folder path, 'file://...', or any fsspec URL. "
            "Default: home/artifacts."
        ),
    )
    store_busy_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=600,
        description=("How long a call waits for a locked database before failing."),
    )
    user: str = Field(
        default_factory=_default_user,
        description="Who is acting: recorded as author and in alias history.",
    )

    @field_validator("user")
    @classmethod
    def _user_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @property
    def resolved_store_url(self) -> str:
        return self.store_url or f"sqlite:///{self.home / 'aweigh.db'}"

    @property
    def resolved_artifacts_url(self) -> str:
        return self.artifacts_url or str(self.home / "artifacts")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_path))


def load_settings(**overrides: Any) -> Settings:
    """Build ``Settings``, turning validation and TOML errors into a ``ConfigError``."""
    config_file = os.environ.get(CONFIG_FILE_ENV)
    if config_file and not Path(config_file).is_file():
        raise ConfigError(
            f"{CONFIG_FILE_ENV} names {config_file!r}, which is not a file. "
            "Point it at an aweigh.toml or unset it."
        )
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            f"Invalid aweigh settings: {problems}. Fix the AWEIGH_* variable "
            "or aweigh.toml entry named."
        ) from exc
    except ValueError as exc:  # malformed TOML (tomllib.TOMLDecodeError is a ValueError)
        raise ConfigError(
            f"Cannot read the aweigh config file: {exc}. Fix its TOML syntax."
        ) from exc
