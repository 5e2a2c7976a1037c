"""``interpbench probe``: how useful are a model's codes? Linear and k-means probes on a labelled data set."""

from __future__ import annotations

import click

from ..adapters import LAYOUTS
from ..datasets import DATASETS
from ..limits import MAX_BATCH_SIZE, MAX_SEED
from ..probes.kmeans import DEFAULT_RESTARTS
from .options import (VALUE_RANGE_CHOICES, check_outputs, device_option, echo_warnings, json_option, model_options, one_model,
                      output_option, resolve_model, suite_option, threads_option)


@click.command()
@model_options("")
@click.option("--dataset", type=click.Choice(sorted(DATASETS)), help="Labelled data set to probe on [default: --suite's own].")
@suite_option("Probe on this benchmark suite's own labelled data set (bins of its factors); same as --dataset NAME.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Directory holding the mnist/svhn/cifar10 files.")
@click.option("--download", is_flag=True, help="Fetch the official mnist/svhn/cifar10 files into --data-dir and verify their checksums.")
@click.option("--probe", "probe_kind", type=click.Choice(["linear", "kmeans", "both"]), default="both", show_default=True)
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True, help="Data draw and probe randomness.")
@click.option("--train-size", type=click.IntRange(min=1), help="Training images [default: lines 10000, others all].")
@click.option("--restarts", type=click.IntRange(min=1), default=DEFAULT_RESTARTS, show_default=True, help="k-means restarts (the paper used 1000).")
@click.option("--with-pixels", is_flag=True, help="Add the raw-pixel reference row (the pixels adapter).")
@click.option("--batch-size", type=click.IntRange(1, MAX_BATCH_SIZE), help="Items per encode/decode call [default: adapter's own, else 256].")
@device_option
@click.option("--layout", type=click.Choice(sorted(LAYOUTS)), help="Input layout the adapter expects [default: adapter's own, else NCHW].")
@click.option("--value-range", type=click.Choice(VALUE_RANGE_CHOICES), help="Pixel range the adapter uses; auto: inferred from decoded line images [default: adapter's own, else -1,1].")
@threads_option("Cap the probes' BLAS/OpenMP and torch threads [default: library default].")
@output_option("Write the result record (JSON) here.")
@json_option()
def probe(adapter_spec, model_name, checkpoint, overrides, dataset, suite, data_dir, download, probe_kind, seed, train_size, restarts, with_pixels, batch_size, device, layout, value_range, threads, output, as_json):  # type: ignore[no-untyped-def]
    """Probe a model's codes on a labelled data set: linear classifier and k-means accuracy (%)."""
    from ..probes import probe as run_probe

    if dataset and suite and dataset != suite:
        raise click.UsageError(f"--dataset {dataset} and --suite {suite} name different data; give one")
    dataset = dataset or suite
    if not dataset:
        raise click.UsageError("give --dataset NAME or --suite NAME to say what to probe on")
    if download and not data_dir:
        raise click.UsageError("--download needs --data-dir to say where to put the files")
    adapter_spec, model_name = one_model(adapter_spec, model_name, "probe")
    check_outputs([("--output", output)] if output else [])  # before the probes run, not after
    model, info = resolve_model(adapter_spec, model_name, checkpoint, device, overrides=overrides)
    name = info.get("name", model_name)
    with echo_warnings():
        result = run_probe(
            model,
            dataset,
            data_dir=data_dir,
            probes=probe_kind,
            seed=seed,
            train_size=train_size,
            restarts=restarts,
            with_pixels=with_pixels,
            download=download,
            batch_size=batch_size,
            device=device,
            layout=layout,
            value_range=value_range,
            name=name,
            model_info=info,
            progress=None,
            threads=threads,
        )
    if output:
        result.save(output)
    click.echo(result.to_json() if as_json else result.table())
