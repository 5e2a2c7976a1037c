#!/usr/bin/env bash
# Score the bundled reference checkpoints and the two built-in scale ends (oracle, pixels) and file
# them on the leaderboard, with probes (reference models), an interpolation grid and a regression
# baseline each; then rebuild the pages.
#   bash leaderboard/publish_reference_models.sh [MODEL...]   (default: all seven and both adapters)
# Run from the repository root after exporting the runs with `python -m reference_models.bundle_runs`
# and pasting the printed lines into reference_models/registry.py.
set -euo pipefail
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(baseline dropout denoising vae aae vqvae acai oracle pixels)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for m in "${models[@]}"; do
  echo "== $m"
  if [ "$m" = oracle ] || [ "$m" = pixels ]; then
    interpbench run --adapter "$m" --seeds 0-4 --output "$work/$m.json" --figure "$work/$m.grid.png"
    rm -f leaderboard/results/"$m"-*.json leaderboard/figures/"$m"-*.png
    interpbench leaderboard add "$work/$m.json" --figure "$work/$m.grid.png"
    # Analytic float64 work: deterministic up to BLAS summation order (see tests/test_regression_baselines.py).
    interpbench check --adapter "$m" --write-baseline --baseline "leaderboard/baselines/$m.json" --seeds 0-2 \
      --rtol 1e-9 --atol 1e-13 --atol smoothness=1e-12 --atol geodesic_error=1e-12 --atol n_undefined=0 --atol long_way_fraction=0
    continue
  fi
  interpbench run --model "$m" --seeds 0-4 --output "$work/$m.json" --figure "$work/$m.grid.png"
  interpbench probe --model "$m" --dataset lines --threads 1 --output "$work/$m.probe.json"
  rm -f leaderboard/results/"$m"-*.json leaderboard/figures/"$m"-*.png  # re-publishing replaces the old entry
  interpbench leaderboard add "$work/$m.json" --probes "$work/$m.probe.json" --figure "$work/$m.grid.png"
  # float32 networks: another CPU's kernels may round differently in the last bits, and that can
  # move a nearest line; hence looser tolerances than the analytic adapters' 1e-9. A moved nearest
  # line moves Smoothness and the geodesic error alike (both read the line's angle): same rtol.
  interpbench check --model "$m" --write-baseline --baseline "leaderboard/baselines/$m.json" --seeds 0-1 \
    --rtol 1e-5 --rtol smoothness=1e-3 --rtol geodesic_error=1e-3 --rtol long_way_fraction=1e-2 --atol 1e-12 --atol n_undefined=1
done
interpbench leaderboard build
