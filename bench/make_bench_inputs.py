#!/usr/bin/python3
"""Write the bench Llama as a HF model dir and/or a file of random pre-tokenized pairs.

    /usr/bin/python3 bench/make_bench_inputs.py --out DIR [--seed 0] [--pairs 64]
        [--prompt-len 16:128] [--completion-len 16:128]

Writes DIR/model/{config.json, model.safetensors} (F32, ~29 MB, HF init std 0.02)
and DIR/pairs.jsonl. Lengths are drawn uniformly from the inclusive ranges.
"""

from __future__ import annotations

import argparse
import json
import os

import torch

import torch_common as tc


def rng(spec: str):
    a, b = spec.split(":")
    return int(a), int(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pairs", type=int, default=64)
    ap.add_argument("--prompt-len", default="16:128")
    ap.add_argument("--completion-len", default="16:128")
    ap.add_argument("--no-model", action="store_true")
    args = ap.parse_args()

    config = dict(tc.BENCH_CONFIG)
    if not args.no_model:
        tc.save_model_dir(os.path.join(args.out, "model"), config, tc.bench_weights(config, args.seed))
    os.makedirs(args.out, exist_ok=True)
    g = torch.Generator().manual_seed(args.seed + 1)
    pl, cl = rng(args.prompt_len), rng(args.completion_len)
    V = config["vocab_size"]

    def draw(lo_hi):
        n = int(torch.randint(lo_hi[0], lo_hi[1] + 1, (1,), generator=g))
        return torch.randint(0, V, (n,), generator=g).tolist()

    with open(os.path.join(args.out, "pairs.jsonl"), "w") as f:
        for _ in range(args.pairs):
            f.write(json.dumps({"prompt_input_ids": draw(pl), "chosen_input_ids": draw(cl),
                                "rejected_input_ids": draw(cl)}) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
