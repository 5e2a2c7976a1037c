"""InterpBenchCallback inside a real lightning Trainer (a dev extra): tiny model, a few batches."""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import interpbench

L = pytest.importorskip("lightning")
from interpbench.integrations.lightning import InterpBenchCallback  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


class TinyAE(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.enc = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(1024, 8))
        self.dec = torch.nn.Linear(8, 1024)
        self.drop = torch.nn.Dropout(0.1)
        self.modes_seen = []

    def encode(self, x):
        self.modes_seen.append((self.training, self.drop.training, torch.is_grad_enabled()))
        return self.enc(x)

    def decode(self, z):
        return torch.tanh(self.dec(z)).view(-1, 1, 32, 32)

    def training_step(self, batch, _):
        x = batch[0]
        return torch.mean((self.decode(self.drop(self.enc(x))) - x) ** 2)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), 1e-3)


class ImageLogger(L.pytorch.loggers.Logger):
    """A real Lightning logger that takes images, as W&B's does."""

    name, version = "images", 0

    def __init__(self):
        super().__init__()
        self.images, self.metrics = [], []

    def log_metrics(self, metrics, step=None):
        self.metrics.append(dict(metrics))
        self.steps = getattr(self, "steps", []) + [step]

    def log_hyperparams(self, *args, **kwargs):
        pass

    def log_image(self, key, images, step=None):
        self.images.append((key, images[0].shape, step))


def _loader():
    images = interpbench.render(np.random.default_rng(0).uniform(0, 2 * np.pi, 128))
    data = torch.utils.data.TensorDataset(torch.tensor(images, dtype=torch.float32)[:, None])
    return torch.utils.data.DataLoader(data, batch_size=32)


def _fit(callback, epochs=2, logger=False, model=None):
    model = model or TinyAE()
    trainer = L.Trainer(max_epochs=epochs, callbacks=[callback], logger=logger, accelerator="cpu",
                        enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
    trainer.fit(model, _loader())
    return trainer, model


def test_scores_each_epoch_logs_metrics_and_keeps_the_trail():
    logger = ImageLogger()
    callback = InterpBenchCallback(every_n_epochs=1, pairs=4, log_grid=True)
    trainer, model = _fit(callback, logger=logger)
    metrics = trainer.callback_metrics
    for key in ("mean_distance", "smoothness", "n_undefined", "geodesic_error"):
        assert f"interpbench/{key}" in metrics
    assert float(metrics["interpbench/geodesic_error"]) == pytest.approx(callback.trail[-1]["geodesic_error"])
    assert float(metrics["interpbench/mean_distance"]) == pytest.approx(callback.trail[-1]["mean_distance"])
    assert [e["epoch"] for e in callback.trail] == [0, 1]
    assert any("interpbench/mean_distance" in m for m in logger.metrics)
    assert [k for k, _, _ in logger.images] == ["interpbench/grid", "interpbench/grid"]
    figure = callback.paper_figure()
    assert figure["evaluations"] == 2 and not figure["complete"]
    assert figure["mean_distance"] == pytest.approx(np.median([e["mean_distance"] for e in callback.trail]))
    assert callback.last_result.protocol.pairs == 4


def test_scores_in_eval_mode_without_grad_and_restores_train_mode_and_rng():
    callback = InterpBenchCallback(pairs=4)
    trainer, model = _fit(callback, epochs=1)
    assert model.modes_seen and all(m == (False, False, False) for m in model.modes_seen)
    # After training Lightning leaves the module as the callback found it: in train mode.
    module = TinyAE()
    module.train()
    state = torch.get_rng_state()
    callback._score(module)
    assert module.training and module.drop.training
    assert torch.equal(state, torch.get_rng_state())


def test_every_n_epochs_and_state_survives_a_checkpoint():
    callback = InterpBenchCallback(every_n_epochs=2, pairs=4)
    _fit(callback, epochs=3)
    assert [e["epoch"] for e in callback.trail] == [1]
    restored = InterpBenchCallback()
    restored.load_state_dict(callback.state_dict())
    assert restored.trail == callback.trail
    with pytest.raises(interpbench.OptionError, match="every_n_epochs"):
        InterpBenchCallback(every_n_epochs=0)


def test_undefined_smoothness_is_logged_as_nan_and_kept_as_none():
    class Constant(TinyAE):
        def decode(self, z):
            return 0 * self.dec(z).view(-1, 1, 32, 32) - 1

    callback = InterpBenchCallback(pairs=4)
    trainer, _ = _fit(callback, epochs=1, model=Constant())
    assert math.isnan(float(trainer.callback_metrics["interpbench/smoothness"]))
    assert callback.trail[-1]["smoothness"] is None and callback.trail[-1]["n_undefined"] == 4
    assert callback.trail[-1]["warnings"]  # a constant decoder reconstructs worse than the mean image


def test_missing_lightning_names_the_extra():
    code = (
        "import sys\n"
        "for m in ('lightning', 'lightning.pytorch', 'pytorch_lightning'): sys.modules[m] = None\n"
        "try:\n    import interpbench.integrations.lightning\n"
        "except ImportError as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.startswith("MissingDependencyError") and "pip install 'interpbench[lightning]'" in out


def test_grid_image_is_logged_at_the_step_of_its_scalars():
    logger = ImageLogger()
    _fit(InterpBenchCallback(every_n_epochs=1, pairs=4, seeds=(0,), log_grid=True), epochs=2, logger=logger)
    scalar_steps = [s for m, s in zip(logger.metrics, logger.steps) if "interpbench/mean_distance" in m]
    assert len(scalar_steps) == 2 and [step for _, _, step in logger.images] == scalar_steps


_MODULE_FILE = '''
import torch
import lightning as L


class FileAE(L.LightningModule):
    def __init__(self, latent: int = 8):
        super().__init__()
        self.save_hyperparameters()
        self.enc = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(1024, latent))
        self.dec = torch.nn.Linear(latent, 1024)

    def encode(self, x):
        return self.enc(x)

    def decode(self, z):
        return torch.tanh(self.dec(z)).view(-1, 1, 32, 32)

    def training_step(self, batch, _):
        x = batch[0]
        return torch.mean((self.decode(self.encode(x)) - x) ** 2)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), 1e-3)
'''


@pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")
def test_lightning_spec_restores_a_checkpoint_weights_only(tmp_path):
    from click.testing import CliRunner

    from interpbench.adapters.user_code import load_adapter_object
    from interpbench.cli import main

    source = tmp_path / "file_ae.py"
    source.write_text(_MODULE_FILE)
    cls = load_adapter_object(f"{source}:FileAE")
    model = cls(latent=6)
    trainer = L.Trainer(max_epochs=1, logger=False, accelerator="cpu", enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False)
    trainer.fit(model, _loader())
    ckpt = tmp_path / "ae.ckpt"
    trainer.save_checkpoint(ckpt)
    spec = f"lightning:{source}:FileAE@{ckpt}"
    restored = interpbench.score(spec, pairs=4)
    assert restored.mean_distance == pytest.approx(interpbench.score(model, pairs=4).mean_distance, rel=1e-9)
    cli = CliRunner().invoke(main, ["run", "--adapter", spec, "--pairs", "4", "--json"])
    assert cli.exit_code == 0, cli.output
    with pytest.raises(interpbench.SpecError, match="does not exist"):
        interpbench.score(f"lightning:{source}:FileAE@{tmp_path / 'missing.ckpt'}")
    with pytest.raises(interpbench.SpecError, match="Class@checkpoint"):
        interpbench.score(f"lightning:{source}:FileAE")
