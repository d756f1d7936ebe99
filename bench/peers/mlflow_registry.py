"""The MLflow side of the registry benchmark; runs inside ``.bench-venvs/mlflow``.

Usage: ``python bench/peers/mlflow_registry.py CONFIG_JSON`` (the orchestrator in
``bench/registry.py`` builds the config and the environment: a sqlite tracking and
registry URI, a local artifact folder, telemetry off, no network). Prints one JSON
line of timings on stdout; MLflow's own logging goes to stderr.

Each operation is the closest MLflow call to aweigh's:

- register: a run with params, metrics and tags, then ``mlflow.sklearn.log_model`` with
  the 100-row ``input_example`` and ``registered_model_name`` (MLflow's default skops
  format; pip requirements given, so no requirement inference); ``register_default``
  is the same with MLflow's defaults (requirement inference in a subprocess)
- resolve: ``MlflowClient.get_model_version_by_alias``
- set_alias: ``MlflowClient.set_registered_model_alias``
- alias_history: none (MLflow keeps no alias history)
- list_versions: ``MlflowClient.search_model_versions``
- load / load_predict / predict: ``mlflow.pyfunc.load_model("models:/name@champion")``
  and its ``predict`` (pyfunc enforces the logged signature, as aweigh's load does)
"""

from __future__ import annotations

import contextlib
import platform
import sys
import time
from pathlib import Path
from typing import Any

import workload as wl

#: skops refuses HistGradientBoosting's tree nodes unless they are trusted explicitly
TRUSTED = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


def run(config: dict[str, Any]) -> dict[str, Any]:
    """Run the workload against MLflow and return its timings and checks."""
    started = time.perf_counter_ns()
    import mlflow
    import mlflow.pyfunc
    import mlflow.sklearn
    import sklearn
    from mlflow import MlflowClient

    import_ns = time.perf_counter_ns() - started

    workdir = Path(config["workdir"])
    work = wl.Workload.from_config(config)
    counts = work.counts
    reg_n, reg_warm = counts["register"]
    default_n = counts["register_default"][0]
    models = work.fit_models(reg_warm + reg_n + default_n)
    accuracy = float(models[0].score(work.features, work.target))

    started = time.perf_counter_ns()
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    experiment = mlflow.create_experiment(
        "bench", artifact_location=(workdir / "artifacts").as_uri()
    )
    mlflow.set_experiment(experiment_id=experiment)
    client = MlflowClient()
    open_ns = time.perf_counter_ns() - started

    requirements = mlflow.sklearn.get_default_pip_requirements(include_skops=True)
    ref = f"models:/{wl.MODEL_NAME}@{wl.ALIAS}"

    def log_and_register(i: int, pip_requirements: list[str] | None) -> None:
        with mlflow.start_run():
            mlflow.log_params(work.params(i))
            mlflow.log_metrics({"accuracy": accuracy})
            mlflow.set_tags({"team": "bench"})
            mlflow.sklearn.log_model(
                models[i],
                name="model",
                input_example=work.sample,
                registered_model_name=wl.MODEL_NAME,
                pip_requirements=pip_requirements,
                skops_trusted_types=TRUSTED,
            )

    def register(i: int) -> None:
        log_and_register(i, requirements)

    def register_default(i: int) -> None:
        log_and_register(reg_warm + reg_n + i, None)

    def resolve(_: int) -> None:
        client.get_model_version_by_alias(wl.MODEL_NAME, wl.ALIAS)

    def set_alias(i: int) -> None:
        client.set_registered_model_alias(wl.MODEL_NAME, wl.ALIAS, str(wl.set_alias_target(i)))

    def list_versions(_: int) -> None:
        client.search_model_versions(f"name='{wl.MODEL_NAME}'")

    def load(_: int) -> None:
        mlflow.pyfunc.load_model(ref)

    def load_predict(_: int) -> None:
        mlflow.pyfunc.load_model(ref).predict(work.batch)

    ops: dict[str, dict[str, float]] = {
        "import": wl.summarize([import_ns]),
        "open": wl.summarize([open_ns]),
    }
    ops["register"] = wl.time_op(register, reg_n, reg_warm)
    client.set_registered_model_alias(wl.MODEL_NAME, wl.ALIAS, "1")
    ops["resolve"] = wl.time_op(resolve, *counts["resolve"])
    ops["set_alias"] = wl.time_op(set_alias, *counts["set_alias"])
    ops["list_versions"] = wl.time_op(list_versions, *counts["list_versions"])
    ops["load"] = wl.time_op(load, *counts["load"])
    ops["load_predict"] = wl.time_op(load_predict, *counts["load_predict"])
    loaded = mlflow.pyfunc.load_model(ref)
    ops["predict"] = wl.time_op(lambda _: loaded.predict(work.batch), *counts["predict"])
    predictions = loaded.predict(work.batch)
    versions = len(client.search_model_versions(f"name='{wl.MODEL_NAME}'"))
    ops["register_default"] = wl.time_op(register_default, default_n, 0)

    return {
        "side": "mlflow-sqlite",
        "versions": {
            "mlflow": mlflow.__version__,
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "serialization": "skops (MLflow default)",
        },
        "ops": ops,
        "checks": {
            "versions_before_register_default": versions,
            "champion": client.get_model_version_by_alias(wl.MODEL_NAME, wl.ALIAS).version,
            "predictions": wl.prediction_counts(predictions),
        },
        "network_attempts": wl.network_attempts(),
    }


def main() -> None:
    """Run with the config from argv; MLflow's stray prints go to stderr, JSON to stdout."""
    config = wl.read_config(sys.argv[1:])
    with contextlib.redirect_stdout(sys.stderr):
        result = run(config)
    wl.emit(result)


if __name__ == "__main__":
    main()
