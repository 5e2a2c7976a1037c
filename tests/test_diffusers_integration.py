"""diffusers' AutoencoderKL (1 channel, tiny) against the real library: no glue, from_diffusers, diffusers:FOLDER."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import interpbench
from interpbench.cli import main

diffusers = pytest.importorskip("diffusers")
from interpbench.integrations.diffusers import from_diffusers  # noqa: E402

PAIRS = 4
pytestmark = pytest.mark.filterwarnings("ignore::interpbench.errors.InterpbenchWarning")  # untrained


@pytest.fixture(scope="module")
def vae():
    torch.manual_seed(0)
    return diffusers.AutoencoderKL(in_channels=1, out_channels=1, block_out_channels=(8,), down_block_types=("DownEncoderBlock2D",),
                                   up_block_types=("UpDecoderBlock2D",), latent_channels=2, layers_per_block=1, norm_num_groups=4)


def test_plain_pair_and_from_diffusers_read_the_posterior_mean_and_decoder_sample(vae):
    plain = interpbench.score((vae.encode, vae.decode), pairs=PAIRS)  # zero glue: the harness unwraps both outputs
    assert plain.model["outputs_unwrapped"] == {"encode": ".latent_dist (mean)", "decode": ".sample"}
    assert plain.name == "AutoencoderKL"
    adapted = interpbench.score(from_diffusers(vae), pairs=PAIRS)
    assert adapted.mean_distance == plain.mean_distance and adapted.model["library"] == "diffusers"
    x = torch.tensor(interpbench.render(np.array([0.7, 2.0])), dtype=torch.float32)[:, None]
    with torch.no_grad():
        expected = vae.decode(vae.encode(x).latent_dist.mean).sample[:, 0].double().numpy()
    harness = interpbench.as_harness(from_diffusers(vae))
    # float32 convolutions and group norms, run by torch on a differently laid-out copy of the batch: equal to
    # ~100 float32 ulps of these O(1) pixels (measured 1.1e-5); a wrong code path differs by orders more.
    np.testing.assert_allclose(harness.decode(harness.encode(x[:, 0].double().numpy())), expected, atol=1e-4)


def test_sample_true_draws_seeded_posterior_samples(vae):
    a = interpbench.score(from_diffusers(vae), pairs=PAIRS, sample=True, seeds=[0, 1])
    b = interpbench.score(from_diffusers(vae), pairs=PAIRS, sample=True, seeds=[0, 1])
    mean = interpbench.score(from_diffusers(vae), pairs=PAIRS, seeds=[0, 1])
    assert a.mean_distance == b.mean_distance and a.mean_distance != mean.mean_distance
    assert a.model["outputs_unwrapped"]["encode"] == ".latent_dist (seeded sample)"


def test_saved_folder_scores_from_python_and_cli(vae, tmp_path):
    vae.save_pretrained(tmp_path / "vae")
    from_folder = interpbench.score(f"diffusers:{tmp_path / 'vae'}", pairs=PAIRS)
    assert from_folder.mean_distance == pytest.approx(interpbench.score(from_diffusers(vae), pairs=PAIRS).mean_distance, rel=1e-9)
    cli = CliRunner().invoke(main, ["run", "--adapter", f"diffusers:{tmp_path / 'vae'}", "--pairs", str(PAIRS), "--json"])
    assert cli.exit_code == 0, cli.output
    with pytest.raises(interpbench.AdapterError, match="in_channels=1"):
        from_diffusers(diffusers.AutoencoderKL(block_out_channels=(8,), norm_num_groups=4, layers_per_block=1))
