"""The 'onnx' flavor: ONNX model files run with ONNX Runtime on CPU, for portable serving.

Convert scikit-learn classifiers with ``skl2onnx.to_onnx(model, X, options={"zipmap": False})``
so probabilities come back as one (n, k) tensor; ZipMap outputs (lists of dicts) also work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aweigh.core.entities import OutputKind
from aweigh.core.errors import InvalidInputError
from aweigh.runtimes._common import (
    labels_from_proba,
    loading,
    make_predictor,
    require,
)
from aweigh.runtimes.base import Flavor, Predictor

_INSTALL = "'aweigh[onnx]'"
_DTYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int16)": np.int16,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(uint16)": np.uint16,
    "tensor(uint32)": np.uint32,
    "tensor(uint64)": np.uint64,
    "tensor(bool)": np.bool_,
    "tensor(string)": object,
}
_LABEL_ATTRS = ("classlabels_ints", "classlabels_int64s", "classlabels_strings")


def _is_proba(name: str, kind: str) -> bool:
    return "prob" in name.lower() or kind.startswith("seq(map")


def _proto_kind(kind: Any) -> str:
    """A graph output's TypeProto in ONNX Runtime's spelling, as far as _is_proba needs."""
    return "seq(map)" if kind.WhichOneof("value") == "sequence_type" else "tensor"


def _as_array(values: pd.DataFrame | pd.Series, name: str, kind: str) -> np.ndarray:
    """``values`` as the numpy dtype of the ONNX input ``name`` of type ``kind``."""
    dtype = _DTYPES.get(kind)
    if dtype is None:
        raise InvalidInputError(
            f"The ONNX input '{name}' must have a tensor type aweigh can feed. "
            f"Got {kind} instead; export the model with float, int, bool or string inputs."
        )
    if dtype is object and bool(values.isna().to_numpy().any()):
        raise InvalidInputError(
            f"The ONNX input '{name}' is a string tensor, which cannot hold missing values. "
            f"Got missing values in it instead; fill them before predicting."
        )
    try:
        array = values.to_numpy(dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"The ONNX input '{name}' must be {kind}. Got columns that do not convert "
            f"({exc}) instead; pass the columns the model was exported with."
        ) from exc
    return array.reshape(len(values), -1)


class _Session:
    """An ONNX Runtime session plus what aweigh needs to feed it a frame and read it."""

    def __init__(self, session: Any, output: OutputKind) -> None:
        self.session = session
        self.inputs = list(session.get_inputs())
        outputs = [(o.name, str(o.type)) for o in session.get_outputs()]
        self.proba = next((n for n, t in outputs if _is_proba(n, t)), None)
        self.label = next((n for n, t in outputs if n != self.proba and "label" in n.lower()), None)
        if self.label is None and self.proba is None:
            self.label = outputs[0][0]
        self.classes = tuple(output.classes)

    def feeds(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        names = [i.name for i in self.inputs]
        if len(self.inputs) == 1 and not (names[0] in frame.columns and len(frame.columns) > 1):
            only = self.inputs[0]
            width = only.shape[-1] if only.shape else None
            if isinstance(width, int) and width != frame.shape[1]:
                raise InvalidInputError(
                    f"The ONNX input '{only.name}' must get {width} columns. "
                    f"Got {frame.shape[1]} columns instead: {list(frame.columns)!r}."
                )
            return {only.name: _as_array(frame, only.name, only.type)}
        missing = [n for n in names if n not in frame.columns]
        if missing and len(names) == frame.shape[1]:
            frame = frame.set_axis(names, axis=1)
        elif missing:
            raise InvalidInputError(
                f"The frame must have one column per ONNX input {names!r}. "
                f"Got columns {list(frame.columns)!r} instead (missing {missing!r})."
            )
        return {i.name: _as_array(frame[i.name], i.name, i.type) for i in self.inputs}

    def run(self, name: str, frame: pd.DataFrame) -> Any:
        return self.session.run([name], self.feeds(frame))[0]

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        assert self.proba is not None
        out = self.run(self.proba, frame)
        if isinstance(out, list):  # ZipMap: one {class: probability} dict per row
            keys = list(out[0]) if out else list(self.classes)
            if self.classes and set(self.classes) == set(keys):
                keys = list(self.classes)
            rows = [[row[k] for k in keys] for row in out]
            return np.array(rows, dtype=np.float32).reshape(len(out), len(keys))
        return np.asarray(out)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if self.label is not None:
            return np.asarray(self.run(self.label, frame))
        proba = self.predict_proba(frame)
        return labels_from_proba(proba, self.classes or tuple(range(proba.shape[1])))


class OnnxFlavor(Flavor):
    """ONNX models (``onnx.ModelProto`` objects and .onnx files)."""

    name = "onnx"
    suffix = ".onnx"
    suffixes = (".onnx",)

    def matches_object(self, obj: Any) -> bool:
        cls = type(obj)
        return cls.__name__ == "ModelProto" and cls.__module__.split(".")[0] == "onnx"

    def matches_file(self, path: Path) -> bool:
        if path.suffix.lower() not in self.suffixes:
            return False
        onnx = require("onnx", self.name, _INSTALL)
        try:
            onnx.checker.check_model(onnx.load(str(path)))
        except Exception:
            return False
        return True

    def save(self, obj: Any, path: Path) -> None:
        path.write_bytes(obj.SerializeToString())

    def read(self, path: Path) -> Any:
        onnx = require("onnx", self.name, _INSTALL)
        with loading(path, self.name):
            model = onnx.load(str(path))
            onnx.checker.check_model(model)
        return model

    def load(self, path: Path, output: OutputKind) -> Predictor:
        ort = require("onnxruntime", self.name, _INSTALL)
        with loading(path, self.name):
            session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            sess = _Session(session, output)
        proba = sess.predict_proba if sess.proba is not None else None
        return make_predictor(self.name, output, sess.predict, proba, "'onnx' model")

    def infer_output(self, obj: Any) -> OutputKind | None:
        if not self.matches_object(obj):
            return None
        outputs = [(o.name, _proto_kind(o.type)) for o in obj.graph.output]
        if not any(_is_proba(name, kind) for name, kind in outputs):
            return OutputKind("regression")
        nodes = sorted(obj.graph.node, key=lambda n: n.op_type != "ZipMap")
        for node in nodes:
            for attr in node.attribute:
                if attr.name in _LABEL_ATTRS and (attr.ints or attr.strings):
                    if attr.strings:
                        return OutputKind("classification", tuple(s.decode() for s in attr.strings))
                    return OutputKind("classification", tuple(int(i) for i in attr.ints))
        return OutputKind("classification", ())

    def framework_versions(self) -> dict[str, str]:
        onnx = require("onnx", self.name, _INSTALL)
        ort = require("onnxruntime", self.name, _INSTALL)
        return {"onnx": str(onnx.__version__), "onnxruntime": str(ort.__version__)}
