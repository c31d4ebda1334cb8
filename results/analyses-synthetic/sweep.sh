#!/usr/bin/env bash
# Weight analyses of the models the chapters analyse (results/README.md), three seeds: each run
# is retrained with the book's quick protocol (one thread; deterministic, so it is the run of
# the same key in table1-synthetic or chapters-synthetic, whose test AUC the analysis line
# repeats), then `me_core analyse` stores its spectra, sub-embedding IA matrix, set diversity
# and interaction patterns. Finished runs and analysed keys are skipped, so it resumes.
# Usage: bash results/analyses-synthetic/sweep.sh [SEED ...]   (default: 0 1 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python}
OUT=results/analyses-synthetic/analyses.jsonl
ROOT=runs/analyses
common=(--datasets synthetic --protocol quick --threads 1 --quiet --records "$ROOT/records.jsonl"
        --run-root "$ROOT")
for seed in "${@:-0 1 2}"; do
  for s in $seed; do
    # Figures 1b, 3, 9, 10a, 10b (SE and ME DCNv2 4x); Evidence III's mechanism (SE, regularised)
    $PY -m me_core sweep "${common[@]}" --seeds "$s" --models dcnv2 --scales 4
    $PY -m me_core sweep "${common[@]}" --seeds "$s" --models dcnv2_reg --scales 4 --embeddings se
    # Figure 14: the FFM
    $PY -m me_core sweep "${common[@]}" --seeds "$s" --models ffm --scales 1
    # Figure 10d: the shared-interaction and aligned-pattern ME variants at 4x
    $PY -m me_core sweep "${common[@]}" --seeds "$s" --models dcnv2_shared dcnv2_aligned \
      --scales 4 --embeddings me
  done
done
$PY -m me_core analyse --run-root "$ROOT" --out "$OUT"
