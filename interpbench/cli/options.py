"""Option types shared by several subcommands."""

from __future__ import annotations

import functools
import json
import math
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from ..adapters.resolve import SPEC_PREFIXES
from ..errors import OptionError
from ..limits import MAX_SEED, MAX_SEEDS, MAX_THREADS

__all__ = ["SeedList", "FiniteFloat", "check_outputs", "parse_seeds", "parse_overrides", "model_options", "resolve_model", "one_model",
           "resolve_models", "echo_warnings", "device_option", "suite_option", "output_option", "threads_option", "json_option",
           "preset_option", "thread_limited", "VALUE_RANGE_CHOICES", "MAX_SEEDS", "MAX_SEED"]

# --value-range choices: the harness's ranges and "auto" (inferred from the decoded endpoints).
VALUE_RANGE_CHOICES = ("-1,1", "0,1", "0,255", "auto")
_DIGITS = re.compile(r"[0-9]+")


class FiniteFloat(click.FloatRange):
    """Every float option's type: a finite number within [min, max] (``max`` is required).

    click's FloatRange lets ``nan`` through (it compares false with both bounds), and an option
    without an upper bound takes ``inf`` and ``1e308``: a training budget that never ends, a
    wall clock no record can hold. One type for all of them keeps the rule in one place.
    """

    def __init__(self, min: float, max: float, *, min_open: bool = False) -> None:  # noqa: A002 - click's names
        super().__init__(min=min, max=max, min_open=min_open)

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        number = value if isinstance(value, float) else None
        if number is None:
            try:
                number = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return super().convert(number, param, ctx)


def _no_json_constant(name: str) -> Any:
    # json.loads takes NaN and Infinity, which are no JSON: --set lr=NaN must not become a float.
    raise OptionError(f"{name} is not a finite number")


def model_options(default_note: str) -> Any:
    """The --adapter / --model / --checkpoint options every scoring subcommand shares."""

    def decorate(command: Any) -> Any:
        for option in reversed((
            click.option("--adapter", "adapter_spec", metavar="SPEC", multiple=True,
                         help="oracle, pixels, package.module:name, path/to/file.py:name, or a saved model of another "
                              "library: " + ", ".join(f"{prefix}:..." for prefix in SPEC_PREFIXES)
                              + " (README: Models from other libraries)."),
            click.option("--model", "model_name", metavar="NAME", multiple=True,
                         help="A reference model (see `interpbench models`): its bundled checkpoint, or --checkpoint."),
            click.option("--checkpoint", type=click.Path(dir_okay=False), help=f"Trained weights of --model (written by `interpbench train`). {default_note}".rstrip()),
            click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                         help="Scoring-time config of --model, e.g. encode_sample=false (VAE: posterior mean); repeatable."),
        )):
            command = option(command)
        return command

    return decorate


def parse_overrides(items: tuple[str, ...]) -> dict[str, object]:
    """``--set key=value`` pairs; values are parsed as JSON when they can be (numbers, true/false, null).

    Only the form is checked here; whether a value suits its field is for the model's config
    (``reference_models.make_config``) to say.
    """
    out: dict[str, object] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise OptionError(f"--set {item!r} is not KEY=VALUE")
        try:
            parsed = json.loads(value, parse_constant=_no_json_constant)
        except OptionError as exc:
            raise OptionError(f"--set {item!r}: {exc}") from None
        except (ValueError, RecursionError):  # not JSON (or absurdly long/nested): keep the text
            parsed = value
        if isinstance(parsed, float) and not math.isfinite(parsed):  # 1e999 parses to inf
            raise OptionError(f"--set {item!r}: {value} is not a finite number")
        out[key.strip()] = parsed
    return out


def check_outputs(*groups: list[tuple[str, str]]) -> None:
    """Check every (option, path) a command will write before it does any work.

    Each path must be writable in an existing directory (see :func:`interpbench.atomic.check_writable`),
    and no two options may name the same file: the second write would silently replace the first.
    """
    from ..atomic import check_writable

    seen: dict[str, str] = {}
    for option, path in (item for group in groups for item in group):
        resolved = str(check_writable(path, what=option))
        if resolved in seen:
            raise OptionError(f"{seen[resolved]} and {option} both name {path!r}; give each output its own file")
        seen[resolved] = option


def output_option(help_text: str, *, dest: str = "output", folder: bool = False, required: bool = False) -> Any:
    """``--output`` on every command that writes, with ``--out`` as its alias on all of them.

    The commands once disagreed (``run --output`` vs ``train --out``); both names now work
    everywhere, so neither is ever "no such option". ``folder``: a run directory, not a file.
    """
    kind = click.Path(file_okay=False) if folder else click.Path(dir_okay=False)
    return click.option("--output", "--out", dest, type=kind, required=required, help=help_text)


def threads_option(help_text: str = "Cap BLAS/OpenMP and torch CPU threads [default: library default].") -> Any:
    """``--threads N`` on every command whose work is heavy (scoring, probing, training)."""
    return click.option("--threads", type=click.IntRange(1, MAX_THREADS), help=help_text)


def thread_limited(help_text: str = "Cap torch's and BLAS/OpenMP CPU threads for the whole command [default: library default].") -> Any:
    """``--threads N`` for a command whose work is not one ``score()`` call (training, reproduce): the whole
    command body runs under :func:`interpbench.threads.limit_threads`."""

    def decorate(command: Any) -> Any:
        @functools.wraps(command)
        def limited(*args: Any, threads: int | None = None, **kwargs: Any) -> Any:
            from ..threads import limit_threads

            with limit_threads(threads):
                return command(*args, **kwargs)

        return threads_option(help_text)(limited)

    return decorate


def json_option(help_text: str = "Print JSON instead of a table.") -> Any:
    """``--json`` on every command that prints results: the same records, machine-readable, on stdout."""
    return click.option("--json", "as_json", is_flag=True, help=help_text)


def preset_option(help_text: str, *, extra: tuple[str, ...] = ()) -> Any:
    """``--preset``, a fixed choice of the training presets (plus ``extra`` names), so a typo is a usage error."""
    from reference_models.training.presets import PRESETS

    return click.option("--preset", type=click.Choice([*PRESETS, *extra]), help=help_text)


def suite_option(help_text: str = "Benchmark suite (`interpbench suites` lists them) [default: lines].") -> Any:
    """``--suite NAME``, a fixed choice of the registered suites; None when not given."""
    from ..suites import suite_names

    return click.option("--suite", type=click.Choice(suite_names()), help=help_text)


def device_option(command: Any) -> Any:
    """``--device``, checked when parsed: a device this machine lacks stops the command before any work."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        from ..devices import check_device

        try:
            return check_device(value)
        except OptionError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None

    return click.option("--device", callback=check, help="Torch device for module adapters (e.g. cpu, cuda:0).")(command)


def resolve_model(adapter_spec: str | None, model_name: str | None, checkpoint: str | None, device: str | None,
                  *, overrides: tuple[str, ...] = (), default_model: str | None = None) -> tuple[Any, dict[str, Any]]:
    """What to score and its provenance record, from the shared options.

    ``--model NAME`` loads a reference model (its bundled checkpoint unless ``--checkpoint``),
    with ``--set`` config overrides applied; with neither option, ``default_model`` if given,
    else a usage error.
    """
    for option, value in (("--adapter", adapter_spec), ("--model", model_name), ("--checkpoint", checkpoint)):
        if value is not None and not value.strip():  # "" must not fall through to the default model
            raise click.UsageError(f"{option} is empty; give it a value or leave the option out")
    if adapter_spec and model_name:
        raise click.UsageError("give --adapter or --model, not both")
    if checkpoint and not model_name:
        raise click.UsageError("--checkpoint needs --model NAME")
    if overrides and adapter_spec:
        raise click.UsageError("--set configures a reference model (--model NAME), not an --adapter")
    if not adapter_spec and not model_name:
        if default_model is None:
            raise click.UsageError("name the model with --adapter SPEC or --model NAME [--checkpoint PATH]")
        model_name = default_model
    if adapter_spec:
        return adapter_spec, {"adapter": adapter_spec}
    from ..errors import AdapterError

    try:  # imported only on this path: scoring an adapter never needs torch model code
        from reference_models import load_trained
    except ImportError as exc:
        raise AdapterError(f"--model needs the reference_models package, which cannot be imported: {exc}") from None
    return load_trained(model_name, checkpoint, device=device, config=parse_overrides(overrides) or None)


def parse_seeds(text: str) -> list[int]:
    """'0,1,2' or '0-4' or '3' -> the seeds, in the order given; an :class:`OptionError` for anything else.

    A range must run upwards (5-1 is an error, not an empty list), no seed may repeat, and at
    most :data:`MAX_SEEDS` seeds are accepted.
    """
    seeds: list[int] = []
    for part in str(text).split(","):
        lo, dash, hi = (p.strip() for p in part.partition("-"))
        if not _DIGITS.fullmatch(lo) or (dash and not _DIGITS.fullmatch(hi)):
            raise OptionError(f"{_shown(text)} is not a seed list like '0,1,2' or '0-4'")
        first = _seed_value(lo, text)
        last = _seed_value(hi, text) if dash else first
        if last < first:
            raise OptionError(f"seed range {part.strip()!r} runs downwards and names no seed; write {last}-{first}")
        if len(seeds) + (last - first + 1) > MAX_SEEDS:
            raise OptionError(f"{_shown(text)} names more than {MAX_SEEDS} seeds; score at most {MAX_SEEDS} per run")
        seeds.extend(range(first, last + 1))
    if len(set(seeds)) != len(seeds):
        raise OptionError(f"{_shown(text)} names a seed twice")
    return seeds


def _shown(text: str, limit: int = 40) -> str:
    """``text`` quoted for a message, cut short: one sentence, not a screenful of digits."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _seed_value(digits: str, text: str) -> int:
    # Length first: int() of thousands of digits is slow, and past 4,300 a ValueError of its own.
    if len(digits.lstrip("0")) > len(str(MAX_SEED)) or int(digits) > MAX_SEED:
        raise OptionError(f"{_shown(text)} holds a seed above the largest allowed, {MAX_SEED}")
    return int(digits)


class SeedList(click.ParamType):
    name = "SEEDS"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, list):
            return value
        try:
            return parse_seeds(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def one_model(adapter_specs: tuple[str, ...], model_names: tuple[str, ...], command: str) -> tuple[str | None, str | None]:
    """The single --adapter or --model of a command that scores one model; several is a usage error."""
    if len(adapter_specs) + len(model_names) > 1:
        given = [f"--adapter {a}" for a in adapter_specs] + [f"--model {m}" for m in model_names]
        raise click.UsageError(f"`interpbench {command}` takes one model, got {len(given)}: {', '.join(given)} "
                               "(`interpbench run` compares several)")
    return (adapter_specs[0] if adapter_specs else None), (model_names[0] if model_names else None)


def _expand_models(model_names: tuple[str, ...]) -> list[str]:
    """--model names in order, with 'all' standing for every reference model."""
    if "all" not in model_names:
        return list(model_names)
    from reference_models import model_names as every

    out: list[str] = []
    for name in model_names:
        out += every() if name == "all" else [name]
    return list(dict.fromkeys(out))


def resolve_models(adapter_specs: tuple[str, ...], model_names: tuple[str, ...], checkpoint: str | None, device: str | None,
                   *, overrides: tuple[str, ...] = (), names: tuple[str, ...] = (),
                   default_model: str | None = None) -> list[tuple[Any, dict[str, Any], str | None]]:
    """Every model of a (comparison) run: [(target, model_info, display name or None)], adapters first.

    ``--name`` is given once per model, in that order, or not at all.
    """
    models = _expand_models(model_names)
    count = len(adapter_specs) + len(models)
    if count > 1 and checkpoint:
        raise click.UsageError("--checkpoint belongs to one --model; score other checkpoints in separate runs")
    if overrides and not models and adapter_specs:
        raise click.UsageError("--set configures a reference model (--model NAME), not an --adapter")
    if count == 0:
        target, info = resolve_model(None, None, checkpoint, device, overrides=overrides, default_model=default_model)
        count, resolved = 1, [(target, info)]
    else:
        resolved = [resolve_model(a, None, None, device) for a in adapter_specs]
        resolved += [resolve_model(None, m, checkpoint, device, overrides=overrides) for m in models]
    if names and len(names) != count:
        raise click.UsageError(f"give --name once per model: {count} model(s), {len(names)} --name")
    labels = list(names) if names else [None] * count
    out = []
    for (target, info), label in zip(resolved, labels):
        if label is not None:
            if not label.strip():
                raise click.BadParameter("a model's name cannot be empty", param_hint="--name")
            info = {**info, "name": label}
        out.append((target, info, label))
    return out


@contextmanager
def echo_warnings() -> Iterator[None]:
    """Print interpbench's warnings (sanity checks) as one "Warning: …" line each on stderr."""
    from ..errors import InterpbenchWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InterpbenchWarning)
            yield
    finally:
        # Outside the recording context: re-shown warnings must not be recorded (and re-shown) again.
        for w in caught:
            if issubclass(w.category, InterpbenchWarning):
                click.echo(f"Warning: {w.message}", err=True)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
