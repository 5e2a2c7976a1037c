"""Outputs the harness unwraps (OUTPUT_KINDS), boundary errors that say how to fix them, and layout 'auto'."""

import dataclasses
from typing import NamedTuple

import numpy as np
import pytest
import torch

import interpbench
from interpbench import AdapterError, ModelOutputError
from interpbench.adapters.outputs import OUTPUT_KINDS

PAIRS = 4
pytestmark = pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")  # untrained models


class Codes(NamedTuple):
    z: np.ndarray


@dataclasses.dataclass
class Images:
    pixels: np.ndarray
    note: str = "decoded"


class Pair(NamedTuple):
    mu: np.ndarray
    logvar: np.ndarray


def _identity(encode_out=lambda x: x, decode_out=lambda z: z):
    return interpbench.FunctionAdapter(lambda x: encode_out(x.reshape(len(x), -1)), lambda z: decode_out(z.reshape(len(z), 32, 32)))


def test_namedtuple_and_dataclass_with_one_array_field_are_unwrapped():
    result = interpbench.score(_identity(Codes, Images), pairs=PAIRS, layout="NHW", dtype="float64")
    # An identity read through both wrappers is a pixel crossfade: it scores as the pixels adapter.
    assert result.mean_distance == pytest.approx(interpbench.score("pixels", pairs=PAIRS).mean_distance, rel=1e-9)
    assert result.model["outputs_unwrapped"] == {"encode": OUTPUT_KINDS[-1].name, "decode": OUTPUT_KINDS[-1].name}


def test_mu_logvar_tuple_names_the_fix():
    with pytest.raises(ModelOutputError, match=r"tuple of 2 arrays .*return the mean: encode = lambda x: model.encode\(x\)\[0\]"):
        interpbench.score(_identity(lambda x: (x, x)), pairs=PAIRS, layout="NHW")


def test_namedtuple_with_two_arrays_and_dicts_name_their_fields():
    with pytest.raises(ModelOutputError, match=r"returned Pair with fields mu, logvar.*array fields: mu, logvar.*`\.mu`"):
        interpbench.score(_identity(lambda x: Pair(x, x)), pairs=PAIRS, layout="NHW")
    with pytest.raises(ModelOutputError, match=r"returned dict with fields codes, extra.*`\['codes'\]`.*\.latent_dist"):
        interpbench.score(_identity(lambda x: {"codes": x, "extra": x}), pairs=PAIRS, layout="NHW")


def test_pythae_networks_score_as_a_plain_pair():
    # pythae's encoder and decoder return ModelOutput dicts (.embedding, .reconstruction): no adapter needed.
    models = pytest.importorskip("pythae.models")
    torch.manual_seed(0)
    ae = models.AE(models.AEConfig(input_dim=(1, 32, 32), latent_dim=4))
    result = interpbench.score((ae.encoder, ae.decoder), pairs=PAIRS, value_range="0,1")
    assert result.model["outputs_unwrapped"] == {"encode": ".embedding", "decode": ".reconstruction"}
    assert result.model["layout"] == "NCHW"


class ChannelsLast:
    """A NumPy model that only takes N×32×32×1 batches and names the shape it wants, as Keras does."""

    def encode(self, x):
        if x.ndim != 4 or x.shape[-1] != 1:
            raise ValueError(f"Input 0 is incompatible: expected shape=(None, 32, 32, 1), found shape={x.shape}")
        return x.reshape(len(x), -1)

    def decode(self, z):
        return z.reshape(len(z), 32, 32, 1)


def test_layout_auto_finds_the_only_layout_that_runs_and_records_it():
    result = interpbench.score(ChannelsLast(), pairs=PAIRS, dtype="float64")
    assert result.model["layout"] == "NHWC"
    assert result.mean_distance == pytest.approx(interpbench.score("pixels", pairs=PAIRS).mean_distance, rel=1e-9)
    tried = result.model["layout_auto"]["tried"]
    assert isinstance(tried["NHWC"], float) and "incompatible" in tried["NCHW"]


def test_layout_auto_among_equals_keeps_nchw_and_prefers_the_better_reconstruction():
    assert interpbench.score(_identity(), pairs=PAIRS).model["layout"] == "NCHW"  # any layout works the same
    transposed = interpbench.FunctionAdapter(lambda x: np.swapaxes(x, -1, -2) if x.ndim == 3 else x * 0, lambda z: np.swapaxes(z.reshape(len(z), 32, 32), -1, -2))
    assert interpbench.score(transposed, pairs=PAIRS).model["layout"] == "NHW"


def test_declared_wrong_layout_error_names_the_option():
    with pytest.raises(AdapterError, match=r"given NCHW batches of shape \(.*1, 32, 32\).*--layout NHWC"):
        interpbench.score(ChannelsLast(), pairs=PAIRS, layout="NCHW")


def test_no_layout_runs_names_each_error():
    class Never:
        def encode(self, x):
            raise ValueError("wrong")

        def decode(self, z):
            return z

    with pytest.raises(AdapterError, match=r"none of the layouts tried \(NCHW: .*wrong; NHWC: .*declare its layout"):
        interpbench.score(Never(), pairs=PAIRS)


def test_declared_input_shape_sets_the_layout():
    from interpbench.adapters.harness import declared_layout

    assert declared_layout(type("K", (), {"input_shape": (None, 32, 32, 1)})()) == "NHWC"
    assert declared_layout(type("S", (), {"n_features_in_": 1024})()) == "flat"
    assert declared_layout(type("P", (), {"model": type("M", (), {"input_dim": (1, 32, 32)})()})()) == "NCHW"
    assert declared_layout(object()) is None


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = torch.nn.Linear(1024, 8)
        self.dec = torch.nn.Linear(8, 1024)


class Wrapper:
    """A plain class around torch modules, declaring nothing: it must be handed tensors."""

    def __init__(self):
        torch.manual_seed(0)
        self.net = Net().train()

    def encode(self, x):
        return self.net.enc(x.flatten(1))

    def decode(self, z):
        return self.net.dec(z)


class NumpyWrapper(Wrapper):
    """A class around torch modules that converts NumPy arrays itself."""

    def encode(self, x):
        return self.net.enc(torch.from_numpy(x).flatten(1)).detach().numpy()

    def decode(self, z):
        return self.net.dec(torch.from_numpy(z)).detach().numpy()


def test_a_plain_wrapper_around_torch_modules_gets_tensors_and_keeps_its_mode():
    wrapper = Wrapper()
    result = interpbench.score(wrapper, pairs=PAIRS)
    assert np.isfinite(result.mean_distance) and wrapper.net.training  # eval while scored, train again after
    converting = NumpyWrapper()
    again = interpbench.score(converting, pairs=PAIRS, dtype="float32")
    assert again.model["outputs_unwrapped"]["inputs"].startswith("NumPy arrays")
    assert again.mean_distance == pytest.approx(result.mean_distance, rel=1e-6)  # the same network either way


def test_a_pair_is_named_after_its_parts_not_function_adapter():
    net = Net()
    assert interpbench.score((net.enc, net.dec), pairs=PAIRS, layout="flat").name == "Linear/Linear"

    def encode_fn(x):
        return x

    def decode_fn(z):
        return z

    assert interpbench.score((encode_fn, decode_fn), pairs=PAIRS, layout="NHW").name.endswith("encode_fn/test_a_pair_is_named_after_its_parts_not_function_adapter.<locals>.decode_fn")
    assert interpbench.score((lambda x: x, lambda z: z), pairs=PAIRS, layout="NHW").name == "encode/decode pair"
    wrapper = Wrapper()
    assert interpbench.score((wrapper.encode, wrapper.decode), pairs=PAIRS).name == "Wrapper"


def test_provenance_names_the_model_libraries_in_use():
    from interpbench.provenance import environment

    pytest.importorskip("pythae")
    assert "pythae" in environment()["libraries"] and "torch" in environment()["libraries"]
