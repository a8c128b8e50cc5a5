#!/usr/bin/env bash
# Rebuilds models/poet-tiny, the demo's shipped base model, with poet's own commands: a Llama-architecture model
# pretrained from random weights on Jane Austen's six novels (public domain) with a 4096-token byte-level BPE that
# also covers the review sentences, then fine-tuned on the 3000 UCI review sentences (CC BY 4.0) so that it
# continues review openings. About 15 minutes on 2 cores. Usage: scripts/make-base-model.sh [CORPUS_DIR] [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
A="${1:-../shared/data/corpora/austen}"
OUT="${2:-models/poet-tiny}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
REVIEWS=data/sentiment/uci_imdb.json,data/sentiment/uci_yelp.json,data/sentiment/uci_amazon.json
npx poet pretrain \
  --data "$A/emma.txt,$A/mansfieldpark.txt,$A/northangerabbey.txt,$A/persuasion.txt,$A/prideprejudice.txt,$A/sensesensibility.txt" \
  --vocab-size 4096 --tokenizer-data "$REVIEWS" --output-dir "$WORK/base" \
  --model-type llama --hidden-size 128 --num-layers 4 --num-heads 4 --num-kv-heads 2 --max-position-embeddings 256 \
  --block-size 128 --per-device-train-batch-size 32 --learning-rate 3e-3 --num-train-epochs 3 --logging-steps 50 --seed 1
npx poet sft --model "$WORK/base" --data "$REVIEWS" --output-dir "$WORK/sft" \
  --learning-rate 1e-3 --num-train-epochs 4 --per-device-train-batch-size 32 --block-size 64 --logging-steps 20 \
  --save-dtype float16 --seed 1
rm -rf "$OUT.tmp" && mkdir -p "$(dirname "$OUT")" && cp -r "$WORK/sft" "$OUT.tmp"
rm -f "$OUT.tmp/log.jsonl" "$OUT.tmp/train_results.json" # the training record is what the commands above print
[ -f "$OUT/README.md" ] && cp "$OUT/README.md" "$OUT.tmp/" # keep the model card
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
echo "base model -> $OUT"
