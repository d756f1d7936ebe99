"""What every route needs, built once per app by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aweigh.registry.service import Registry
from aweigh.serving.metrics import ServingMetrics
from aweigh.serving.pool import ModelPool
from aweigh.serving.recorder import Recorder
from aweigh.settings import Settings
from aweigh.storage.events import EventLog

if TYPE_CHECKING:
    from aweigh.lifecycle.monitoring import MonitorService
    from aweigh.serving.monitoring import Gauges


@dataclass
class AppState:
    settings: Settings
    registry: Registry
    pool: ModelPool
    metrics: ServingMetrics
    recorder: Recorder
    event_log: EventLog | None
    secret: bytes = b""
    started: bool = False
    background: set[object] = field(default_factory=set)
    monitor: MonitorService | None = None
    gauges: Gauges | None = None
