#!/usr/bin/env bash
# The chapters' run records on the synthetic benchmark (results/README.md): every run a chapter
# takes from records instead of training it, three seeds, the book's quick protocol, one thread
# per run. Runs already in records.jsonl are skipped, so an interrupted sweep resumes.
# Usage: bash results/chapters-synthetic/sweep.sh [SEED ...]   (default: 0 1 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python}
RECORDS=results/chapters-synthetic/records.jsonl
common=(--datasets synthetic --protocol quick --threads 1 --quiet --records "$RECORDS"
        --run-root runs/chapters)
for seed in "${@:-0 1 2}"; do
  for s in $seed; do
    # Table 2: DCNv2 on 10% and 30% of the training split (100% is in table1-synthetic)
    $PY -m me_core sweep "${common[@]}" --seeds "$s" --models dcnv2 --scales 1 2 4 \
      --fractions 0.1 0.3
    # Table 3: the base DCNv2 with other cross-network and MLP depths (default: 4 and 2)
    for n in 2 6 8; do
      $PY -m me_core sweep "${common[@]}" --seeds "$s" --models dcnv2 --scales 1 \
        --option cross_layers=$n
    done
    for dims in "[400]" "[400, 400, 400]"; do
      $PY -m me_core sweep "${common[@]}" --seeds "$s" --models dcnv2 --scales 1 \
        --option "mlp_dims=$dims"
    done
    # Evidence III (Figure 5, 16): DCNv2 with the paper's regulariser (standard DCNv2: table1)
    $PY -m me_core sweep "${common[@]}" --seeds "$s" --models dcnv2_reg --scales 1 2 4 \
      --embeddings se
    # Figure 17a: ME DCNv2 with the official code's regulariser (plain ME DCNv2: table1)
    $PY -m me_core sweep "${common[@]}" --seeds "$s" --models dcnv2_reg_code --scales 1 2 4 \
      --embeddings me
    # Figure 10c: ME DCNv2 with shared interaction and with aligned patterns (plain ME: table1)
    $PY -m me_core sweep "${common[@]}" --seeds "$s" --models dcnv2_shared dcnv2_aligned \
      --scales 2 4 --embeddings me
  done
done
