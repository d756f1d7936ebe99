"""``aweigh demo``: the main job on embedded defaults (see ``aweigh.demo.run``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aweigh.cli._context import registry
from aweigh.cli._render import console, history_table, models_table, versions_table
from aweigh.cli.app import handle_errors
from aweigh.registry.service import Registry


@handle_errors
def demo() -> None:
    """Train two models on the Adult census data, register them, promote the better one."""
    from aweigh.demo.datasets import ADULT_TARGET, load_adult
    from aweigh.demo.run import MODEL_NAME, run_demo

    reg = registry()
    result = run_demo(reg, console)
    show_registry(reg, MODEL_NAME)
    loaded = reg.load(f"{MODEL_NAME}@champion")
    rows = load_adult("test").sample(5, random_state=42)
    proba = loaded.predict_proba(rows)[:, list(loaded.classes).index(">50K")]
    shown = pd.DataFrame(
        {
            "age": rows["age"],
            "occupation": rows["occupation"],
            "actual": rows[ADULT_TARGET],
            "predicted": loaded.predict(rows),
            "P(>50K)": np.round(proba, 3),
        }
    )
    console.print(
        f"Loaded [bold]{MODEL_NAME}@champion[/] ({result.champion}, sha256 "
        "verified); predictions for five held-out people:"
    )
    console.print(shown.to_string(index=False), markup=False)
    console.print(
        f"\nNext: 'aweigh models list', 'aweigh models show {MODEL_NAME}@champion', "
        f"'aweigh models history {MODEL_NAME}'."
    )


def show_registry(reg: Registry, name: str) -> None:
    """The models table, the model's versions and its alias history."""
    models = reg.models()
    console.print(models_table(models, {m.name: reg.aliases(m.name) for m in models}))
    console.print(versions_table(name, reg.versions(name)))
    console.print(history_table(name, reg.alias_history(name)))
