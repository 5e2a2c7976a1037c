"""Issue 19's closing table: for models of eight libraries, the user code that scores them before and after.

"Before" is interpbench as it was when the issue was filed (commit f657ea0), "after" is this
checkout. Each case builds the same small model in both (same seeds, a few dozen training steps
on the line stream), then runs the least user code that scores it correctly in that version; the
lines of that code are counted (blank lines and comments left out) and the scores compared.

    git worktree add /tmp/before19 f657ea0
    python tools/adoption_table.py --before-src /tmp/before19 [--pairs 64]

Each snippet runs in its own process (``PYTHONPATH`` puts the chosen source first), so the two
versions never share a module. A snippet must leave its score in ``result``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Shared by every case: the line stream, and a few Adam steps for a torch autoencoder.
COMMON = '''
import os, warnings
os.environ.setdefault("KERAS_BACKEND", "torch")
warnings.simplefilter("ignore")
import numpy as np, torch, interpbench
torch.manual_seed(0)
X = next(interpbench.training_stream(0, 512)).astype(np.float32)      # 512 lines, 32x32, -1..1

def fit_torch(forward, params, steps=40):
    opt = torch.optim.Adam(params, 1e-3)
    batch = torch.from_numpy(X[:64])[:, None]
    for _ in range(steps):
        opt.zero_grad(); loss = ((forward(batch) - batch) ** 2).mean(); loss.backward(); opt.step()
'''


@dataclass(frozen=True)
class Case:
    library: str
    setup: str
    before: str
    after: str
    cli_before: str
    cli_after: str
    note: str = ""
    before_as_documented: str = ""  # what the README of the time said to write, where that scored wrongly


CASES = [
    Case("diffusers AutoencoderKL (1 channel)",
         setup='''
from diffusers import AutoencoderKL
vae = AutoencoderKL(in_channels=1, out_channels=1, down_block_types=("DownEncoderBlock2D",) * 2,
                    up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(8, 16), latent_channels=2,
                    norm_num_groups=4, sample_size=32)
fit_torch(lambda x: vae.decode(vae.encode(x).latent_dist.mean).sample, vae.parameters(), steps=20)
''',
         before='''
result = interpbench.score((lambda x: vae.encode(x).latent_dist.mean, lambda z: vae.decode(z).sample), pairs=PAIRS)
''',
         after='''
result = interpbench.score((vae.encode, vae.decode), pairs=PAIRS)
''',
         cli_before="adapter file", cli_after="diffusers:FOLDER"),
    Case("Keras 3 (torch backend)",
         setup='''
import keras
keras.utils.set_random_seed(0)
encoder = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(8)], name="encoder")
decoder = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1024, activation="sigmoid"), keras.layers.Reshape((32, 32, 1))], name="decoder")
inputs = keras.Input((32, 32, 1))
model = keras.Model(inputs, decoder(encoder(inputs)))
model.compile("adam", "mse")
model.fit((X[..., None] + 1) / 2, (X[..., None] + 1) / 2, epochs=2, batch_size=64, verbose=0)
''',
         before='''
enc = lambda x: encoder.predict(x, verbose=0)
dec = lambda z: decoder.predict(z, verbose=0)
result = interpbench.score((enc, dec), pairs=PAIRS, layout="NHWC", value_range="0,1")
''',
         after='''
from interpbench.integrations.keras import from_keras
result = interpbench.score(from_keras(model), pairs=PAIRS, value_range="0,1")
''',
         cli_before="adapter file", cli_after="keras:FILE.keras"),
    Case("Flax linen (module, params)",
         setup='''
import jax
from flax import linen
class AE(linen.Module):
    def setup(self):
        self.enc, self.dec = linen.Dense(8), linen.Dense(1024)
    def encode(self, x):
        return self.enc(x.reshape(x.shape[0], -1))
    def decode(self, z):
        return jax.numpy.tanh(self.dec(z)).reshape(z.shape[0], 32, 32)
    def __call__(self, x):
        return self.decode(self.encode(x))
module = AE()
params = module.init(jax.random.PRNGKey(0), X[:1])
''',
         before='''
enc = lambda x: module.apply(params, x, method="encode")
dec = lambda z: module.apply(params, z, method="decode")
result = interpbench.score((enc, dec), pairs=PAIRS, layout="NHW")
''',
         after='''
result = interpbench.score((module, params), pairs=PAIRS)
''',
         cli_before="adapter file", cli_after="flax:module.py:NAME@params.msgpack",
         note="untrained (initial weights)"),
    Case("Flax nnx module",
         setup='''
import jax
from flax import nnx
class AE(nnx.Module):
    def __init__(self, rngs):
        self.enc, self.dec = nnx.Linear(1024, 8, rngs=rngs), nnx.Linear(8, 1024, rngs=rngs)
    def encode(self, x):
        return self.enc(x.reshape(x.shape[0], -1))
    def decode(self, z):
        return jax.numpy.tanh(self.dec(z)).reshape(z.shape[0], 32, 32)
model = AE(nnx.Rngs(0))
''',
         before='''
result = interpbench.score(model, pairs=PAIRS)
''',
         after='''
result = interpbench.score(model, pairs=PAIRS)
''',
         cli_before="adapter file", cli_after="flax:module.py:NAME@params.msgpack",
         note="untrained (initial weights)"),
    Case("pythae VQ-VAE",
         setup='''
from pythae.models import VQVAE, VQVAEConfig
torch.manual_seed(0)
model = VQVAE(VQVAEConfig(input_dim=(1, 32, 32), latent_dim=16, num_embeddings=32))
fit_torch(lambda x: model({"data": (x + 1) / 2}).recon_x * 2 - 1, model.parameters(), steps=20)
model.eval()
''',
         before='''
def enc(x):
    return model.encoder(x).embedding
def dec(z):
    q = model.quantizer(z.reshape(len(z), 1, 1, -1).permute(0, 2, 3, 1)).quantized_vector
    return model.decoder(q.reshape(len(z), -1)).reconstruction
result = interpbench.score((enc, dec), pairs=PAIRS, value_range="0,1")
''',
         after='''
from interpbench.adapters import from_pythae
result = interpbench.score(from_pythae(model), pairs=PAIRS)
''',
         cli_before="pythae:FOLDER (decoded unquantised)", cli_after="pythae:FOLDER",
         before_as_documented='''
from interpbench.adapters import from_pythae
result = interpbench.score(from_pythae(model), pairs=PAIRS)
'''),
    Case("scikit-learn PCA",
         setup='''
from sklearn.decomposition import PCA
pca = PCA(16, random_state=0).fit(X.reshape(512, -1))
''',
         before='''
result = interpbench.score((pca.transform, pca.inverse_transform), pairs=PAIRS, layout="flat")
''',
         after='''
from interpbench.adapters import from_sklearn
result = interpbench.score(from_sklearn(pca), pairs=PAIRS)
''',
         cli_before="adapter file", cli_after="sklearn:FILE.skops"),
    Case("scikit-learn MLPRegressor X → X",
         setup='''
from sklearn.neural_network import MLPRegressor
flat = X.reshape(512, -1).astype(np.float64)
mlp = MLPRegressor(hidden_layer_sizes=(64, 8, 64), max_iter=20, random_state=0).fit(flat, flat)
''',
         before='''
relu = lambda a: np.maximum(a, 0)
def enc(x):
    h = relu(x @ mlp.coefs_[0] + mlp.intercepts_[0])
    return relu(h @ mlp.coefs_[1] + mlp.intercepts_[1])
def dec(z):
    h = relu(z @ mlp.coefs_[2] + mlp.intercepts_[2])
    return h @ mlp.coefs_[3] + mlp.intercepts_[3]
result = interpbench.score((enc, dec), pairs=PAIRS, layout="flat")
''',
         after='''
from interpbench.adapters import from_sklearn
result = interpbench.score(from_sklearn(mlp, value_range="-1,1"), pairs=PAIRS)
''',
         cli_before="adapter file", cli_after="sklearn:FILE.skops"),
    Case("torch module, encode returns (mu, logvar)",
         setup='''
class VAE(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc, self.dec = torch.nn.Linear(1024, 16), torch.nn.Linear(8, 1024)
    def encode(self, x):
        return self.enc(x.flatten(1)).chunk(2, dim=1)
    def decode(self, z):
        return torch.tanh(self.dec(z)).view(-1, 1, 32, 32)
model = VAE()
fit_torch(lambda x: model.decode(model.encode(x)[0]), model.parameters())
''',
         before='''
result = interpbench.score((lambda x: model.encode(x)[0], model.decode), pairs=PAIRS)
''',
         after='''
result = interpbench.score((lambda x: model.encode(x)[0], model.decode), pairs=PAIRS)
''',
         cli_before="file.py:NAME", cli_after="file.py:NAME",
         note="a tuple stays the user's choice; the error now names the fix"),
    Case("PyTorch Lightning module",
         setup='''
import lightning
class AE(lightning.LightningModule):
    def __init__(self):
        super().__init__()
        self.enc, self.dec = torch.nn.Linear(1024, 8), torch.nn.Linear(8, 1024)
    def encode(self, x):
        return self.enc(x.flatten(1))
    def decode(self, z):
        return torch.tanh(self.dec(z)).view(-1, 1, 32, 32)
module = AE()
fit_torch(lambda x: module.decode(module.encode(x)), module.parameters())
''',
         before='''
result = interpbench.score(module, pairs=PAIRS)
''',
         after='''
result = interpbench.score(module, pairs=PAIRS)
''',
         cli_before="adapter file", cli_after="lightning:module.py:Class@checkpoint.ckpt"),
    Case("NumPy functions (PCA by hand)",
         setup='''
flat = X.reshape(512, -1).astype(np.float64)
mean = flat.mean(axis=0)
basis = np.linalg.eigh((flat - mean).T @ (flat - mean))[1][:, -16:]
encode = lambda x: (x.reshape(len(x), -1) - mean) @ basis
decode = lambda z: z @ basis.T + mean
''',
         before='''
result = interpbench.score((encode, decode), pairs=PAIRS, layout="flat")
''',
         after='''
result = interpbench.score((encode, decode), pairs=PAIRS)
''',
         cli_before="file.py:NAME", cli_after="file.py:NAME"),
]


def user_lines(code: str) -> int:
    """Lines a user writes: not blank, not a comment."""
    return sum(1 for line in code.splitlines() if line.strip() and not line.strip().startswith("#"))


def run_snippet(setup: str, snippet: str, source: Path, pairs: int) -> dict:
    program = "\n".join([COMMON, textwrap.dedent(setup), f"PAIRS = {pairs}", textwrap.dedent(snippet),
                         "import json; print('RESULT', json.dumps({'md': result.mean_distance, 'sm': result.smoothness}))"])
    env = {**os.environ, "PYTHONPATH": os.fspath(source), "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=source, timeout=900)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": last[:160]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-src", type=Path, required=True, help="a checkout of the pre-issue commit (f657ea0)")
    parser.add_argument("--pairs", type=int, default=64)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    rows = []
    for case in CASES:
        before = run_snippet(case.setup, case.before, args.before_src.resolve(), args.pairs)
        after = run_snippet(case.setup, case.after, ROOT, args.pairs)
        note = case.note
        if case.before_as_documented:
            documented = run_snippet(case.setup, case.before_as_documented, args.before_src.resolve(), args.pairs)
            note = (f"before, the README's {user_lines(case.before_as_documented)} lines ran and scored "
                    f"MD {documented.get('md', float('nan')) * 1e3:.3f}e-3 (codes decoded unquantised); the "
                    f"{user_lines(case.before)} lines here are the correct glue")
        rows.append({"library": case.library, "lines_before": user_lines(case.before), "lines_after": user_lines(case.after),
                     "before": before, "after": after, "cli_before": case.cli_before, "cli_after": case.cli_after,
                     "note": note})
        print(f"{case.library}: {rows[-1]}", file=sys.stderr, flush=True)
    print(f"| library | Python lines before → after | CLI before → after | MD ×10⁻³ before / after | Smoothness before / after | note |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        def fmt(r: dict, key: str, scale: float, digits: int) -> str:
            if "error" in r:
                return f"error: {r['error']}"
            return "undefined" if r[key] is None or r[key] != r[key] else f"{r[key] * scale:.{digits}f}"
        print(f"| {row['library']} | {row['lines_before']} → {row['lines_after']} | {row['cli_before']} → `{row['cli_after']}` | "
              f"{fmt(row['before'], 'md', 1e3, 3)} / {fmt(row['after'], 'md', 1e3, 3)} | "
              f"{fmt(row['before'], 'sm', 1, 3)} / {fmt(row['after'], 'sm', 1, 3)} | {row['note']} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
