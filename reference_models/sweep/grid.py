"""A sweep grid: which models, seeds and config values to train, read from TOML into runs.

Top-level keys are the sweep's settings (:data:`SETTINGS`); ``[set]`` and ``[set.<model>]``
override config fields for every model or one; any other top-level key is a config field with
a list of values to sweep over. The product of models, swept values and seeds is the set of
runs, each in a stable, readable directory ``<model>-<key=value...>-s<seed>``.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from interpbench.errors import OptionError

from ..registry import canonical_name, make_config, model_entry
from ..training.presets import get_preset

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Grid", "GridRun", "SETTINGS", "load_grid", "parse_grid"]


@dataclass(frozen=True)
class GridRun:
    """One training of a sweep: a model, its config overrides and a seed, in ``directory``."""

    model: str
    seed: int
    config: dict[str, Any]  # every override: [set], [set.<model>] and the swept values
    swept: dict[str, Any]  # the swept values alone (they name the configuration)

    @property
    def configuration(self) -> str:
        """The configuration's name: model and swept values, without the seed."""
        parts = [self.model] + [f"{k}={_format(v)}" for k, v in sorted(self.swept.items())]
        return "-".join(parts)

    @property
    def directory(self) -> str:
        return f"{self.configuration}-s{self.seed}"


@dataclass(frozen=True)
class Grid:
    """A parsed grid: the sweep's settings and its runs (models × swept values × seeds)."""

    models: list[str]
    seeds: list[int]
    preset: str
    kimg: float | None = None
    eval_every: float | None = None
    eval_pairs: int | None = None
    device: str | None = None
    suite: str | None = None  # the benchmark suite every run trains and is scored on (None: lines)
    overrides: dict[str, Any] = field(default_factory=dict)
    model_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    sweep: dict[str, list[Any]] = field(default_factory=dict)

    def runs(self) -> list[GridRun]:
        """Every run, model by model, then by swept values, then by seed."""
        out: list[GridRun] = []
        for model in self.models:
            own = _fields(model)
            keys = [k for k in self.sweep if k in own]
            for values in itertools.product(*(self.sweep[k] for k in keys)):
                swept = dict(zip(keys, values))
                common = {k: v for k, v in self.overrides.items() if k in own}  # where the model has the field
                config = {**common, **self.model_overrides.get(model, {}), **swept}
                out.extend(GridRun(model, seed, config, swept) for seed in self.seeds)
        return out

    def settings(self) -> dict[str, Any]:
        """The grid as plain data (for ``sweep.json``)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _format(value: Any) -> str:
    """A swept value as it appears in a directory name: distinct values, distinct names.

    Floats are written with ``repr`` (the shortest text that reads back as the same float:
    ``0.001`` and ``0.0010000001`` stay apart, where 6 significant digits made them one run
    directory); any character outside ``[A-Za-z0-9._+-]`` is %-escaped, so ``a/b`` and ``a_b``
    differ too and no value can add a path separator.
    """
    text = repr(value) if isinstance(value, float) else str(value)
    return "".join(c if c in _NAME_SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in text)


_NAME_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")


def _fields(model: str) -> set[str]:
    return {f.name for f in fields(model_entry(model).config)}


# Each setting: (what it must be, a check that returns the cleaned value or raises TypeError/ValueError).
def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError
    return value


def _positive(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise TypeError
    return float(value)


def _pairs(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2500:
        raise TypeError
    return value


def _suite(value: Any) -> str:
    from interpbench.suites import get_suite

    if not isinstance(value, str):
        raise TypeError
    return get_suite(value).name  # an unknown name is get_suite's one sentence, listing the suites


def _model_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError
    if not value:
        raise ValueError
    names = [canonical_name(v) for v in value]
    if len(set(names)) != len(names):
        raise OptionError(f"grid: a model is named twice in models = {value}")
    return names


def _seed_list(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise TypeError
    if not value:
        raise ValueError
    if len(set(value)) != len(value):
        raise OptionError(f"grid: a seed is named twice in seeds = {value}")
    return list(value)


SETTINGS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "models": ("a non-empty list of model names", _model_list),
    "seeds": ("a non-empty list of distinct non-negative integers", _seed_list),
    "preset": ("a preset name", _text),
    "kimg": ("a positive number", _positive),
    "eval_every": ("a positive number", _positive),
    "eval_pairs": ("an integer from 1 to 2500", _pairs),
    "device": ("a device name such as 'cpu' or 'cuda'", _text),
    "suite": ("a benchmark suite name (interpbench suites lists them)", _suite),
}
REQUIRED = ("models", "seeds")


def parse_grid(data: Mapping[str, Any]) -> Grid:
    """A :class:`Grid` from parsed TOML; any mistake is an :class:`OptionError` of one sentence."""
    data = dict(data)
    for key in REQUIRED:
        if key not in data:
            raise OptionError(f"grid: {key!r} is missing; name it, e.g. {key} = {['baseline'] if key == 'models' else [0, 1]}")
    settings: dict[str, Any] = {}
    for key, (what, check) in SETTINGS.items():
        if key in data:
            value = data.pop(key)
            try:
                settings[key] = check(value)
            except ValueError as exc:
                if isinstance(exc, OptionError):
                    raise
                raise OptionError(f"grid: {key} is an empty list; give it at least one value") from None
            except TypeError:
                raise OptionError(f"grid: {key} must be {what}, not {value!r}") from None
    models = settings["models"]
    get_preset(settings.setdefault("preset", "quick"))
    overrides, model_overrides = _overrides(data.pop("set", {}), models)
    sweep = _sweep(data, models)
    grid = Grid(overrides=overrides, model_overrides=model_overrides, sweep=sweep, **settings)
    seen: dict[str, GridRun] = {}
    for run in grid.runs():  # every configuration's values are checked by the models' own rules
        try:
            make_config(run.model, **run.config)
        except OptionError as exc:
            raise OptionError(f"grid: {exc}") from None
        # Two runs sharing a directory would train into one checkpoint and report one score twice;
        # compared without case, since macOS and Windows file systems do not tell "A" from "a".
        other = seen.setdefault(run.directory.lower(), run)
        if other is not run:
            raise OptionError(f"grid: the runs {other.swept} and {run.swept} of {run.model} would share the run "
                              f"directory {run.directory!r}; make the swept values differ by more than letter case")
    return grid


def _overrides(table: Any, models: list[str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    if not isinstance(table, dict):
        raise OptionError(f"grid: set must be a table ([set]) of config fields, not {table!r}")
    common: dict[str, Any] = {}
    per_model: dict[str, dict[str, Any]] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            model = canonical_name(key)
            if model not in models:
                raise OptionError(f"grid: [set.{key}] names a model that is not in models = {models}")
            unknown = sorted(set(value) - _fields(model))
            if unknown:
                raise OptionError(f"grid: {model} has no config field {', '.join(unknown)} (in [set.{key}])")
            per_model[model] = dict(value)
        else:
            if not any(key in _fields(m) for m in models):
                raise OptionError(f"grid: no model in {models} has a config field {key!r} (in [set])")
            common[key] = value
    return common, per_model


def _sweep(data: dict[str, Any], models: list[str]) -> dict[str, list[Any]]:
    sweep: dict[str, list[Any]] = {}
    known = ", ".join([*SETTINGS, "set"])
    for key, values in data.items():
        if not any(key in _fields(m) for m in models):
            raise OptionError(f"grid: {key!r} is neither a setting ({known}) nor a config field of {', '.join(models)}")
        if not isinstance(values, list):
            raise OptionError(f"grid: {key} must be a list of values to sweep over (e.g. {key} = [{values!r}]); "
                              f"fix a value for every run under [set] instead")
        if not values:
            raise OptionError(f"grid: {key} is an empty list; give it at least one value")
        if len(set(map(repr, values))) != len(values):
            raise OptionError(f"grid: a value is named twice in {key} = {values}")
        sweep[key] = values
    return sweep


def load_grid(path: str | Path) -> Grid:
    """Read and parse a grid file; an unreadable or invalid TOML file is one sentence too."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OptionError(f"grid file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise OptionError(f"grid file {str(path)!r} is not valid TOML: {exc}") from None
    return parse_grid(data)
