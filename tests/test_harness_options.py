"""Every option the README lists works as a keyword of score() and as an attribute of the adapter."""

import numpy as np
import pytest
import torch

import interpbench
from interpbench import AdapterError, OptionError
from interpbench.adapters.harness import OPTION_ATTRIBUTES

PAIRS = 4


class Recorder:
    """An identity on NHW images that records what it is handed."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)
        self.shapes, self.dtypes, self.batch_lengths, self.ranges = [], [], [], []

    def encode(self, x):
        self.shapes.append(x.shape)
        self.dtypes.append(x.dtype)
        self.batch_lengths.append(len(x))
        self.ranges.append((float(x.min()), float(x.max())))
        return x.reshape(len(x), 32, 32)

    def decode(self, z):
        self.batch_lengths.append(len(z))
        return z


def test_the_readme_options_are_the_attribute_table():
    assert set(OPTION_ATTRIBUTES) == {"layout", "value_range", "batch_size", "device", "dtype", "name", "threads"}


@pytest.mark.parametrize("attribute", ["layout", "input_layout"])
def test_layout_as_attribute_and_keyword(attribute):
    model = Recorder(**{attribute: "NHWC"})
    interpbench.score(model, pairs=PAIRS)
    assert model.shapes[0][1:] == (32, 32, 1)
    keyword = Recorder(**{attribute: "NHWC"})
    interpbench.score(keyword, pairs=PAIRS, layout="flat")  # the keyword wins
    assert keyword.shapes[0][1:] == (1024,)


def test_value_range_as_attribute_and_keyword():
    model = Recorder(layout="NHW", value_range="0,1")
    result = interpbench.score(model, pairs=PAIRS)
    assert min(lo for lo, _ in model.ranges) >= 0.0 and result.model["value_range"] == "0,1"
    keyword = Recorder(layout="NHW", value_range="0,1")
    assert interpbench.score(keyword, pairs=PAIRS, value_range="-1,1").model["value_range"] == "-1,1"
    assert min(lo for lo, _ in keyword.ranges) < -0.5


def test_batch_size_as_attribute_and_keyword():
    model = Recorder(layout="NHW", batch_size=3)
    interpbench.score(model, pairs=PAIRS)
    assert max(model.batch_lengths) == 3
    keyword = Recorder(layout="NHW", batch_size=3)
    interpbench.score(keyword, pairs=PAIRS, batch_size=5)
    assert max(keyword.batch_lengths) == 5
    with pytest.raises(AdapterError, match="batch size"):
        interpbench.score(Recorder(layout="NHW", batch_size=0), pairs=PAIRS)


def test_dtype_as_attribute_and_keyword():
    model = Recorder(layout="NHW", dtype="float64")
    interpbench.score(model, pairs=PAIRS)
    assert set(model.dtypes) == {np.dtype("float64")}
    keyword = Recorder(layout="NHW", dtype="float64")
    interpbench.score(keyword, pairs=PAIRS, dtype=np.float16)
    assert set(keyword.dtypes) == {np.dtype("float16")}
    legacy = Recorder(layout="NHW", input_dtype="float64")
    interpbench.score(legacy, pairs=PAIRS)
    assert set(legacy.dtypes) == {np.dtype("float64")}
    with pytest.raises(AdapterError, match="floating-point"):
        interpbench.score(Recorder(layout="NHW"), pairs=PAIRS, dtype="int32")


class TorchIdentity(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))
        self.seen = []

    def encode(self, x):
        self.seen.append(x.dtype)
        return x.flatten(1) * self.scale.to(x.dtype)

    def decode(self, z):
        return z


def test_dtype_for_a_torch_module_casts_its_inputs():
    module = TorchIdentity()
    interpbench.score(module, pairs=PAIRS, dtype=torch.float64)
    assert set(module.seen) == {torch.float64}
    attribute = TorchIdentity()
    attribute.dtype = "float64"
    interpbench.score(attribute, pairs=PAIRS)
    assert set(attribute.seen) == {torch.float64}


def test_device_as_attribute_and_keyword():
    module = TorchIdentity()
    module.device = "meta"  # an attribute is honoured: moving the module there is refused, named
    with pytest.raises(Exception, match="meta"):
        interpbench.score(module, pairs=PAIRS)
    assert interpbench.score(module, pairs=PAIRS, device="cpu").provenance["device"] == "cpu"
    with pytest.raises(AdapterError, match="applies to torch modules"):
        interpbench.score(Recorder(layout="NHW", device="cuda"), pairs=PAIRS)


def test_name_as_attribute_and_keyword():
    assert interpbench.score(Recorder(layout="NHW", name="mine"), pairs=PAIRS).name == "mine"
    assert interpbench.score(Recorder(layout="NHW", name="mine"), pairs=PAIRS, name="theirs").name == "theirs"


def test_threads_as_attribute_and_keyword(monkeypatch):
    import interpbench.protocol as protocol

    seen = []
    real = protocol.limit_threads

    def spy(n):
        seen.append(n)
        return real(n)

    monkeypatch.setattr(protocol, "limit_threads", spy)
    interpbench.score(Recorder(layout="NHW", threads=1), pairs=PAIRS)
    interpbench.score(Recorder(layout="NHW", threads=1), pairs=PAIRS, threads=2)
    assert seen == [1, 2]
    with pytest.raises(OptionError, match="threads"):
        interpbench.score(Recorder(layout="NHW", threads=0), pairs=PAIRS)


def test_score_restores_each_modules_mode():
    module = torch.nn.Module()
    module.encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(0.5))
    module.decoder = torch.nn.Identity()
    module.train()
    module.encoder[1].eval()  # a mixed state comes back as it was
    interpbench.score((module.encoder, module.decoder), pairs=PAIRS, layout="NHW")
    assert module.training and module.encoder.training and not module.encoder[1].training and module.decoder.training
    evaluated = TorchIdentity().eval()
    interpbench.score(evaluated, pairs=PAIRS)
    assert not evaluated.training


def test_probe_restores_modes_and_accepts_auto_value_range():
    from interpbench.probes import probe

    class ZeroOneModule(torch.nn.Module):
        """Works on 0..1 images only: it thresholds at 0.5."""

        def encode(self, x):
            return x.flatten(1)

        def decode(self, z):
            return (z > 0.5).to(z.dtype)

    module = ZeroOneModule().train()
    result = probe(module, "digits", probes="linear", train_size=200, value_range="auto")
    assert module.training
    assert result.model["value_range"] == "0,1" and "value_range_auto" in result.model
