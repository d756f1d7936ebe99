"""Settings: the only module that reads the environment.

Precedence: keyword arguments, then ``AWEIGH_*`` environment variables, then
``aweigh.toml`` (in the working directory, or the file ``AWEIGH_CONFIG`` names),
then defaults that work with no configuration under ``./.aweigh/``.
"""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
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

    # -- event log ------------------------------------------------------------------
    events_url: str | None = Field(
        default=None,
        description=("Where prediction and feedback events go (a folder). Default: home/events."),
    )
    events_enabled: bool = Field(default=True, description="Record predictions as events.")
    events_flush_interval_s: float = Field(
        default=1.0,
        gt=0,
        le=300,
        description=("How often queued events are written; bounds what a crash can lose."),
    )
    events_max_queue: int = Field(
        default=100_000, ge=10, description=("Events held in memory before new ones spool to disk.")
    )

    # -- privacy --------------------------------------------------------------------
    privacy_secret: SecretStr | None = Field(
        default=None,
        description=(
            "Key for hashing subject ids and PII and signing receipts. Unset: a random key is "
            "made once and kept in home/secret.key (0600)."
        ),
    )
    subject_field: str | None = Field(
        default=None,
        description=(
            "Input column that identifies the data subject (e.g. customer_id); stored only "
            "as a keyed hash, used for erasure."
        ),
    )
    retention_days: int = Field(
        default=90,
        ge=1,
        le=36_500,
        description=("How long prediction and feedback events are kept."),
    )
    retention_per_model: dict[str, int] = Field(
        default_factory=dict,
        description=("Per-model retention in days, overriding retention_days."),
    )
    retention_interval_s: float = Field(
        default=3600.0,
        ge=0,
        description="How often a running server applies retention (0: never; the CLI can).",
    )

    # -- monitoring -----------------------------------------------------------------
    monitor_interval_s: float = Field(
        default=300.0,
        ge=0,
        description="How often a running server computes drift, quality and fairness (0: never).",
    )
    monitor_every_events: int = Field(
        default=1_000_000,
        ge=0,
        description=(
            "Also run the monitor after this many new predictions, at most once a "
            "minute (0: by time only)."
        ),
    )
    monitor_window_s: int = Field(
        default=3600,
        ge=60,
        le=31 * 86_400,
        description="Length of a monitoring window in seconds (aligned to UTC).",
    )
    monitor_label_horizon_s: int = Field(
        default=7 * 86_400,
        ge=0,
        description="How far back late labels revise windows already computed.",
    )
    monitor_alpha: float = Field(
        default=0.01,
        gt=0,
        lt=0.5,
        description="Family-wise false-alarm level of one drift comparison (all its columns).",
    )
    monitor_reference_events: int = Field(
        default=5_000,
        ge=100,
        description=(
            "For a version without a registered dataset: how many of its first predictions "
            "form the drift reference."
        ),
    )
    monitor_segments: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per model: input columns to break live quality down by.",
    )
    monitor_fairness: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description=(
            "Per model: {sensitive = [columns], positive = value, min_group_size = 30} "
            "to watch fairness per window."
        ),
    )
    alerts: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Alert rules and sinks: [[alerts.rules]] (name, metric, condition, severity, "
            "for, cooldown, model) and [[alerts.sinks]] (type = log | webhook, url, ...); "
            "no rules: the documented defaults; no sinks: the log."
        ),
    )

    # -- serving --------------------------------------------------------------------
    serve_host: str = Field(default="127.0.0.1", description="Address the server binds.")
    serve_port: int = Field(default=8000, ge=0, le=65535, description="Port (0: any free).")
    serve_workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes.")
    serve_models: list[str] = Field(
        default_factory=list,
        description=("References to load at start; empty: every model's champion (else latest)."),
    )
    batching: bool = Field(default=True, description="Gather concurrent requests into batches.")
    max_batch_size: int = Field(
        default=64, ge=1, le=100_000, description=("Most rows in one predict call.")
    )
    max_wait_ms: float = Field(
        default=2.0,
        ge=0,
        le=10_000,
        description=("Longest a request waits for others to join its batch."),
    )
    model_batching: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description=("Per-model overrides: {name: {max_batch_size: .., max_wait_ms: ..}}."),
    )
    compute_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description=("Threads per model version running predict (off the event loop)."),
    )
    model_threads: int = Field(
        default=1,
        ge=1,
        le=256,
        description=(
            "OpenMP/BLAS threads one predict call may use (1 is fastest for small batches)."
        ),
    )
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description=("Largest request body accepted (413 above)."),
    )
    max_concurrency: int = Field(
        default=1024,
        ge=1,
        description=("Requests handled at once; more get 503 (uvicorn limit_concurrency)."),
    )
    max_connections: int = Field(
        default=4096,
        ge=1,
        description=("Open connections uvicorn accepts; beyond it new connections get 503."),
    )
    log_level: str = Field(
        default="info",
        pattern="^(debug|info|warning|error|critical)$",
        description="Server log level (access log lines are INFO).",
    )
    gc_tuning: bool = Field(
        default=True,
        description=(
            "Raise the garbage collector's thresholds and freeze start-up objects in the "
            "server (less GC time per request)."
        ),
    )
    serve_lean: bool = Field(
        default=True,
        description=(
            "`aweigh serve` restarts itself as a lean process: Python's -OO (no docstrings "
            "or asserts) and Arrow's system allocator (about 20 MB less idle RSS)."
        ),
    )
    admin_key: SecretStr | None = Field(
        default=None,
        description=(
            "API key for /v1/admin routes; unset: admin routes answer loopback clients only."
        ),
    )
    alias_refresh_s: float = Field(
        default=5.0,
        ge=0,
        description=("How often the server re-reads aliases moved elsewhere (0: never)."),
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

    @property
    def resolved_events_url(self) -> str:
        return self.events_url or str(self.home / "events")

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


def settings_env(settings: Settings) -> dict[str, str]:
    """``AWEIGH_*`` variables that rebuild ``settings`` in another process (uvicorn workers)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        if name == "admin_key" and settings.admin_key is not None:
            value = settings.admin_key.get_secret_value()
        env[f"AWEIGH_{name.upper()}"] = (
            json.dumps(value) if isinstance(value, list | dict) else str(value)
        )
    return env
