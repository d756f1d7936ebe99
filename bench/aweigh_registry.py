"""The aweigh side of the registry benchmark: one store per process.

Usage: ``python -m bench.aweigh_registry [--profile OP --profile-out FILE] CONFIG_JSON``
where the config names the side (``aweigh-sqlite``, ``aweigh-postgres``,
``aweigh-memory``), its ``store_url`` and ``workdir``. Prints one JSON line of timings.
With ``--profile`` the timed loop of OP runs under pyinstrument and its text report is
written to FILE (timings of a profiled run are not comparable, so it is a separate run).
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.peers import workload as wl


@contextlib.contextmanager
def _profiled(op: str, wanted: str | None, out: Path | None) -> Iterator[None]:
    """Run the block under pyinstrument when ``op`` is the one asked for."""
    if wanted != op or out is None:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))


def run(config: dict[str, Any], profile: str | None, profile_out: Path | None) -> dict[str, Any]:
    """Run the workload against one aweigh store and return its timings and checks."""
    started = time.perf_counter_ns()
    import sklearn

    import aweigh
    from aweigh.bootstrap import build_artifacts, build_store
    from aweigh.registry.service import Registry

    import_ns = time.perf_counter_ns() - started

    workdir = Path(config["workdir"])
    work = wl.Workload.from_config(config)
    counts = work.counts
    reg_n, reg_warm = counts["register"]
    models = work.fit_models(reg_warm + reg_n)
    accuracy = float(models[0].score(work.features, work.target))

    started = time.perf_counter_ns()
    store = build_store(config["store_url"])
    artifacts = build_artifacts(str(workdir / "artifacts"), cache_dir=workdir / "cache")
    registry = Registry(store, artifacts, actor="bench")
    open_ns = time.perf_counter_ns() - started
    ref = f"{wl.MODEL_NAME}@{wl.ALIAS}"

    def register(i: int) -> None:
        registry.register(
            models[i],
            wl.MODEL_NAME,
            sample=work.sample,
            params=work.params(i),
            metrics={"accuracy": accuracy},
            tags={"team": "bench"},
        )

    def set_alias(i: int) -> None:
        registry.set_alias(wl.MODEL_NAME, wl.ALIAS, wl.set_alias_target(i), reason="bench")

    plan: list[tuple[str, Callable[[int], object]]] = [
        ("register", register),
        ("resolve", lambda _: registry.resolve(ref)),
        ("set_alias", set_alias),
        ("alias_history", lambda _: registry.alias_history(wl.MODEL_NAME)),
        ("list_versions", lambda _: registry.versions(wl.MODEL_NAME)),
        ("load", lambda _: registry.load(ref)),
        ("load_predict", lambda _: registry.load(ref).predict(work.batch)),
    ]
    ops: dict[str, dict[str, float]] = {
        "import": wl.summarize([import_ns]),
        "open": wl.summarize([open_ns]),
    }
    for op, fn in plan:
        if op == "resolve":  # the champion exists from here on, as on the MLflow side
            registry.set_alias(wl.MODEL_NAME, wl.ALIAS, 1, reason="bench setup")
        with _profiled(op, profile, profile_out):
            ops[op] = wl.time_op(fn, *counts[op])
    loaded = registry.load(ref)
    with _profiled("predict", profile, profile_out):
        ops["predict"] = wl.time_op(lambda _: loaded.predict(work.batch), *counts["predict"])

    store_close = getattr(store, "close", None)
    result = {
        "side": config["side"],
        "versions": {
            "aweigh": aweigh.__version__,
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "serialization": "joblib compress=3 (aweigh sklearn flavor)",
        },
        "ops": ops,
        "checks": {
            "versions": len(registry.versions(wl.MODEL_NAME)),
            "history_events": len(registry.alias_history(wl.MODEL_NAME)),
            "champion": registry.resolve(ref).version,
            "predictions": wl.prediction_counts(registry.load(ref).predict(work.batch)),
        },
        "network_attempts": wl.network_attempts(),
    }
    if callable(store_close):
        store_close()
    return result


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run, and print the JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.aweigh_registry")
    parser.add_argument("--profile", help="operation to profile with pyinstrument")
    parser.add_argument("--profile-out", type=Path, help="where the profile text goes")
    parser.add_argument("config", help="the run's config as JSON")
    args = parser.parse_args(argv)
    config = wl.read_config([args.config])
    with contextlib.redirect_stdout(sys.stderr):
        result = run(config, args.profile, args.profile_out)
    wl.emit(result)


if __name__ == "__main__":
    main()
