import numpy as np
import pytest
import torch

from interpbench import AdapterError, Harness, ModelOutputError, SpecError, as_harness, load_adapter, render
from interpbench.adapters import OracleAdapter, PixelsAdapter

IMAGES = render(np.linspace(0, 6, 10))


class Recorder:
    """Records what the harness hands it, so layout/dtype/range handling can be checked."""

    def __init__(self, out_shape=(1, 32, 32)):
        self.seen = []
        self.out_shape = out_shape

    def encode(self, x):
        self.seen.append(x)
        return x.reshape(x.shape[0], -1)[:, :4]

    def decode(self, z):
        return np.zeros((z.shape[0],) + self.out_shape, dtype=np.float32)


@pytest.mark.parametrize(
    "layout, shape", [("NCHW", (10, 1, 32, 32)), ("NHWC", (10, 32, 32, 1)), ("NHW", (10, 32, 32)), ("flat", (10, 1024))]
)
def test_layouts_reach_the_adapter(layout, shape):
    rec = Recorder()
    codes = Harness(rec, layout=layout).encode(IMAGES)
    assert rec.seen[0].shape == shape and rec.seen[0].dtype == np.float32
    assert codes.shape == (10, 4) and codes.dtype == np.float64


@pytest.mark.parametrize("out_shape", [(1, 32, 32), (32, 32, 1), (32, 32), (1024,)])
def test_every_output_layout_is_accepted(out_shape):
    images = Harness(Recorder(out_shape)).decode(np.zeros((5, 4)))
    assert images.shape == (5, 32, 32)


def test_zero_one_value_range_is_mapped_both_ways():
    rec = Recorder()
    harness = Harness(rec, value_range="0,1", layout="NCHW")
    harness.encode(IMAGES)
    assert rec.seen[0].min() == 0.0 and rec.seen[0].max() <= 1.0
    assert np.all(harness.decode(np.zeros((2, 4))) == -1.0)


def test_batching_splits_and_concatenates():
    rec = Recorder()
    codes = Harness(rec, batch_size=3, layout="NCHW").encode(IMAGES)
    assert [len(b) for b in rec.seen] == [3, 3, 3, 1] and codes.shape == (10, 4)


class TinyTorchAE(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = torch.nn.Linear(1024, 8)
        self.dec = torch.nn.Linear(8, 1024)

    def encode(self, x):
        assert not torch.is_grad_enabled() and not self.training
        return self.enc(x.flatten(1))

    def decode(self, z):
        return self.dec(z).view(-1, 1, 32, 32)


def test_torch_module_runs_in_eval_mode_without_grad():
    model = TinyTorchAE().double()
    model.train()
    harness = as_harness(model)
    codes = harness.encode(IMAGES)
    assert codes.shape == (10, 8)
    assert harness.decode(codes).shape == (10, 32, 32)
    assert harness.device == "cpu"


def test_numpy_callable_pair_and_spec_strings(tmp_path):
    harness = as_harness((lambda x: x.reshape(len(x), -1), lambda z: z.reshape(-1, 32, 32)), layout="NHW")
    np.testing.assert_allclose(harness.decode(harness.encode(IMAGES)), IMAGES, atol=1e-6)
    assert isinstance(load_adapter("oracle"), OracleAdapter)
    assert isinstance(load_adapter("interpbench.adapters.builtin:PixelsAdapter"), PixelsAdapter)
    adapter_file = tmp_path / "my_adapter.py"
    adapter_file.write_text(
        "class Identity:\n    input_layout = 'NHW'\n    def encode(self, x): return x\n    def decode(self, z): return z\n"
        "def make(): return Identity()\n"
    )
    assert load_adapter(f"{adapter_file}:make").__class__.__name__ == "Identity"
    assert load_adapter(f"{adapter_file}:Identity").__class__.__name__ == "Identity"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("not-a-spec", "neither a built-in"),
        ("no_such_module_xyz:thing", "cannot import module"),
        ("interpbench.adapters.builtin:Nothing", "has no attribute"),
        ("missing/file.py:x", "does not exist"),
        ("interpbench.spec:SPEC_VERSION", "not an object with encode"),
    ],
)
def test_bad_spec_strings_are_named(spec, message):
    with pytest.raises(SpecError, match=message):
        load_adapter(spec)


class Broken:
    def __init__(self, mode):
        self.mode = mode

    def encode(self, x):
        if self.mode == "raise":
            raise RuntimeError("boom")
        codes = np.ones((len(x), 3))
        if self.mode == "nan_codes":
            codes[1, 2] = np.nan
        if self.mode == "short_codes":
            codes = codes[:-1]
        return codes

    def decode(self, z):
        if self.mode == "wrong_size":
            return np.zeros((len(z), 28, 28))
        if self.mode == "short_images":
            return np.zeros((len(z) - 1, 32, 32))
        if self.mode == "inf_images":
            out = np.zeros((len(z), 32, 32))
            out[0, 0, 0] = np.inf
            return out
        return np.zeros((len(z), 32, 32))


@pytest.mark.parametrize(
    "mode, error, message",
    [
        ("raise", AdapterError, r"broken\.encode\(\) raised RuntimeError: boom"),
        ("nan_codes", ModelOutputError, r"encode\(\) returned NaN or inf in 1 of 10 codes"),
        ("short_codes", ModelOutputError, r"returned 9 codes for a batch of 10"),
        ("wrong_size", ModelOutputError, r"shape \(28, 28\)"),
        ("short_images", ModelOutputError, r"returned 3 images for a batch of 4"),
        ("inf_images", ModelOutputError, r"decode\(\) returned NaN or inf"),
    ],
)
def test_misbehaving_adapters_get_one_clear_error(mode, error, message):
    harness = Harness(Broken(mode), name="broken", layout="NCHW")
    with pytest.raises(error, match=message):
        harness.decode(harness.encode(IMAGES)[:4])


def test_missing_methods_and_bad_options():
    with pytest.raises(AdapterError, match="no callable decode"):
        Harness(type("OnlyEncode", (), {"encode": lambda self, x: x})())
    with pytest.raises(AdapterError, match="layout"):
        Harness(PixelsAdapter(), layout="HWC")
    with pytest.raises(AdapterError, match="value range"):
        Harness(PixelsAdapter(), value_range="0,256")
