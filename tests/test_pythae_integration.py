"""from_pythae and pythae:FOLDER specs, against the real pythae package (a dev extra)."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import interpbench
from interpbench import AdapterError, SpecError
from interpbench.adapters import from_pythae

pythae_models = pytest.importorskip("pythae.models")
PAIRS = 4
# These models are untrained: the reconstruction check rightly warns; that check has its own tests.
pytestmark = pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")


class TanhDecoder(pythae_models.nn.BaseDecoder):
    """A custom pythae decoder ending in Tanh (-1..1), to check the declared range follows the network."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 1024), torch.nn.Tanh())

    def forward(self, z):
        return pythae_models.base.base_utils.ModelOutput(reconstruction=self.net(z).reshape(-1, 1, 32, 32))


class IdentityDecoder(pythae_models.nn.BaseDecoder):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(4, 1024)

    def forward(self, z):
        return pythae_models.base.base_utils.ModelOutput(reconstruction=self.net(z).reshape(-1, 1, 32, 32))


@pytest.fixture(scope="module")
def vae():
    torch.manual_seed(0)
    return pythae_models.VAE(pythae_models.VAEConfig(input_dim=(1, 32, 32), latent_dim=4))


@pytest.fixture(scope="module")
def ae():
    torch.manual_seed(0)
    return pythae_models.AE(pythae_models.AEConfig(input_dim=(1, 32, 32), latent_dim=4))


def test_vae_scores_its_posterior_mean_and_declares_its_sigmoid_range(vae):
    adapter = from_pythae(vae)
    assert adapter.value_range == "0,1" and adapter.input_layout == "NCHW"
    result = interpbench.score(adapter, pairs=PAIRS)
    assert result.model["code"] == "posterior mean" and result.model["library"] == "pythae"
    assert result.model["value_range_source"] == "the decoder's final Sigmoid"
    assert result.name == "pythae VAE"
    # The harness handed the encoder 0..1 images: its mean code is what score() interpolated.
    x = torch.tensor((interpbench.render(np.array([0.3])) + 1) / 2, dtype=torch.float32)[:, None]
    with torch.no_grad():
        expected = vae.decoder(vae.encoder(x).embedding).reconstruction.numpy()[0, 0] * 2 - 1
    harness = interpbench.as_harness(adapter)
    got = harness.decode(harness.encode(interpbench.render(np.array([0.3]))))[0]
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_vae_samples_on_request_seeded_by_the_protocol_seed(vae):
    mean = interpbench.score(from_pythae(vae), pairs=PAIRS)
    one = interpbench.score(from_pythae(vae, sample=True), pairs=PAIRS, seeds=[0, 1])
    again = interpbench.score(from_pythae(vae, sample=True), pairs=PAIRS, seeds=[0, 1])
    assert one.model["code"] == "posterior sample, seeded by the protocol seed"
    assert one.per_seed("mean_distance") == again.per_seed("mean_distance")
    assert not np.allclose(one.seeds[0].images, mean.seeds[0].images)


def test_ae_code_is_its_embedding_and_cannot_be_sampled(ae):
    assert interpbench.score(from_pythae(ae), pairs=PAIRS).model["code"] == "embedding"
    with pytest.raises(AdapterError, match="no log_covariance"):
        interpbench.score(from_pythae(ae, sample=True), pairs=PAIRS)


def test_declared_range_follows_the_decoder():
    tanh = pythae_models.AE(pythae_models.AEConfig(input_dim=(1, 32, 32), latent_dim=4), decoder=TanhDecoder())
    assert from_pythae(tanh).value_range == "-1,1"
    bare = pythae_models.AE(pythae_models.AEConfig(input_dim=(1, 32, 32), latent_dim=4), decoder=IdentityDecoder())
    assert from_pythae(bare).value_range == "auto"
    bce = pythae_models.VAE(pythae_models.VAEConfig(input_dim=(1, 32, 32), latent_dim=4, reconstruction_loss="bce"),
                            decoder=IdentityDecoder())
    assert from_pythae(bce).value_range == "0,1"
    result = interpbench.score(from_pythae(bare), pairs=PAIRS)
    assert result.model["value_range"] in interpbench.adapters.VALUE_RANGES and "reconstruction_mse" in result.model["value_range_auto"]


def test_flat_input_dim_and_bad_input_dim():
    flat = pythae_models.AE(pythae_models.AEConfig(input_dim=(1024,), latent_dim=4))
    assert from_pythae(flat).input_layout == "flat"
    interpbench.score(from_pythae(flat), pairs=PAIRS)
    with pytest.raises(AdapterError, match="input_dim"):
        from_pythae(pythae_models.AE(pythae_models.AEConfig(input_dim=(3, 28, 28), latent_dim=4)))
    with pytest.raises(AdapterError, match="needs a pythae model"):
        from_pythae(object())


def test_saved_model_loads_through_the_spec_string(vae, tmp_path):
    folder = tmp_path / "vae"
    vae.save(str(folder))
    direct = interpbench.score(from_pythae(vae), pairs=PAIRS)
    loaded = interpbench.score(f"pythae:{folder}", pairs=PAIRS)
    assert loaded.mean_distance == direct.mean_distance and loaded.name == f"pythae:{folder}"
    with pytest.raises(SpecError, match="does not exist"):
        interpbench.load_adapter(f"pythae:{tmp_path / 'missing'}")
    (tmp_path / "junk").mkdir()
    with pytest.raises(SpecError, match="cannot load a pythae model"):
        interpbench.load_adapter(f"pythae:{tmp_path / 'junk'}")


def test_cli_scores_a_saved_pythae_model(vae, tmp_path):
    folder = tmp_path / "vae"
    vae.save(str(folder))
    proc = subprocess.run([sys.executable, "-m", "interpbench", "run", "--adapter", f"pythae:{folder}", "--pairs", "4"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Mean Distance" in proc.stdout


def test_missing_pythae_names_the_extra(tmp_path):
    (tmp_path / "m").mkdir()
    code = (
        "import sys; sys.modules['pythae'] = None; sys.modules['pythae.models'] = None\n"
        "import interpbench\n"
        f"try:\n    interpbench.load_adapter('pythae:{tmp_path / 'm'}')\n"
        "except interpbench.MissingDependencyError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "pip install 'interpbench[pythae]'" in out


def _images(n=6):
    """n benchmark lines as a pythae model's 0..1 NCHW input."""
    return torch.tensor((interpbench.render(np.linspace(0.1, 3.0, n)) + 1) / 2, dtype=torch.float32)[:, None]


def _roundtrip(adapter, x):
    """decode(encode(x)) through interpbench's harness (eval mode, no grad), as 0..1 images."""
    harness = interpbench.as_harness(adapter)
    benchmark = x[:, 0].double().numpy() * 2 - 1
    return (harness.decode(harness.encode(benchmark)) + 1) / 2


@pytest.mark.parametrize("flat", [True, False])
def test_vqvae_decodes_quantised_codes_as_its_forward_does(flat):
    torch.manual_seed(0)
    config = pythae_models.VQVAEConfig(input_dim=(1, 32, 32), latent_dim=4, num_embeddings=8)
    # flat: pythae's default MLP networks (a 4-d code); else a 4-channel 8x8 code grid.
    model = pythae_models.VQVAE(config) if flat else pythae_models.VQVAE(config, encoder=_ConvVQEncoder(), decoder=_ConvVQDecoder())
    model.eval()
    x = _images()
    with torch.no_grad():
        expected = model({"data": x}).recon_x.reshape(len(x), 32, 32).double().numpy()
        unquantised = model.decoder(model.encoder(x).embedding).reconstruction.reshape(len(x), 32, 32).double().numpy()
    adapter = from_pythae(model)
    got = _roundtrip(adapter, x)
    # float32 decoder, same ops in the same order: equal to float32 rounding of the 0..1 pixels.
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert np.abs(unquantised - expected).max() > 1e-3  # the old path (no quantiser) really differs
    assert "quantised" in interpbench.score(adapter, pairs=PAIRS).model["decode_path"]


class _ConvVQEncoder(pythae_models.nn.BaseEncoder):
    """A VQ-VAE encoder with a 4-channel 8x8 code grid (pythae's spatial code case)."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Conv2d(1, 4, 4, stride=4)

    def forward(self, x):
        return pythae_models.base.base_utils.ModelOutput(embedding=self.net(x))


class _ConvVQDecoder(pythae_models.nn.BaseDecoder):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.ConvTranspose2d(4, 1, 4, stride=4), torch.nn.Sigmoid())

    def forward(self, z):
        return pythae_models.base.base_utils.ModelOutput(reconstruction=self.net(z))


@pytest.mark.parametrize("kind", ["VAE_IAF", "VAE_LinNF"])
def test_flow_vaes_decode_through_their_flows_as_their_forward_does(kind):
    torch.manual_seed(0)
    if kind == "VAE_IAF":
        model = pythae_models.VAE_IAF(pythae_models.VAE_IAF_Config(input_dim=(1, 32, 32), latent_dim=4, n_made_blocks=2))
    else:
        model = pythae_models.VAE_LinNF(pythae_models.VAE_LinNF_Config(input_dim=(1, 32, 32), latent_dim=4, flows=["Planar", "Radial"]))
    model.eval()
    x = _images()
    adapter = from_pythae(model, sample=True)
    # pythae's forward draws eps with torch.randn_like on the default CPU generator; the adapter draws
    # its eps from a generator seeded by the protocol seed: seeded alike, they draw the same eps.
    adapter.on_protocol_seed(3)
    got = _roundtrip(adapter, x)
    torch.manual_seed(3)
    with torch.no_grad():
        expected = model({"data": x}).recon_x.reshape(len(x), 32, 32).double().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)
    with torch.no_grad():  # skipping the flows gives other images: the test can tell the paths apart
        mean = model.encoder(x).embedding
        skipped = model.decoder(mean).reconstruction.reshape(len(x), 32, 32).double().numpy()
    assert np.abs(skipped - _roundtrip(from_pythae(model), x)).max() > 1e-4
    assert "flow" in interpbench.score(from_pythae(model), pairs=PAIRS).model["decode_path"]


def test_a_folder_with_pickled_networks_is_refused_unread(tmp_path):
    """pythae saves custom networks as pickles, which run code when loaded: a spec string never loads them."""
    custom = pythae_models.AE(pythae_models.AEConfig(input_dim=(1, 32, 32), latent_dim=4), decoder=TanhDecoder())
    folder = tmp_path / "custom"
    custom.save(str(folder))
    assert (folder / "decoder.pkl").exists()
    marker = tmp_path / "ran"
    # Replace the pickle with one that would leave a marker behind if it were ever unpickled.
    import pickle

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (folder / "decoder.pkl").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(SpecError, match="pickles that run any code"):
        interpbench.load_adapter(f"pythae:{folder}")
    proc = subprocess.run([sys.executable, "-m", "interpbench", "run", "--adapter", f"pythae:{folder}", "--pairs", "4"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "allow_pickle=True" in proc.stderr
    assert not marker.exists()
    # The explicit, trusting path still loads a genuine custom-network folder.
    genuine = tmp_path / "genuine"
    custom.save(str(genuine))
    from interpbench.integrations.pythae import load_pythae
    assert load_pythae(str(genuine), allow_pickle=True).value_range == "-1,1"
