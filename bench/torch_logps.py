#!/usr/bin/python3
"""PyTorch baseline for `poet logps`: the whole job as a PyTorch (TRL-style) user does it.

    /usr/bin/python3 bench/torch_logps.py --model DIR --data PAIRS.jsonl \
        --truncation none|poet --output OUT.jsonl [--threads N] [--batch-size 8] [--backward]

Loads the HF model dir (safetensors, single or sharded) in float32, reads pre-tokenized
pairs {"prompt_input_ids", "chosen_input_ids", "rejected_input_ids"}, and for each batch
of --batch-size pairs runs one forward over the concatenated batch (all chosen
sequences, then all rejected; each is prompt+completion, right-padded, with an
attention mask), like TRL's concatenated_forward. Writes one line per pair:
{"chosen_logps", "rejected_logps", "chosen_tokens", "rejected_tokens"}.
With --truncation poet both completions are first cut to min(len(chosen), len(rejected)).
--backward also runs backward of sum(chosen_logps - rejected_logps) for each batch
(gradients are dropped; no optimizer). Timing goes to stderr as one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time

import torch

import torch_common as tc
from torch_common import ref


def main():
    t_start = time.perf_counter()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--truncation", choices=["none", "poet"], default="none")
    ap.add_argument("--output", required=True)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=8, help="pairs per batch (2x sequences)")
    ap.add_argument("--backward", action="store_true")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    args = ap.parse_args()

    tc.set_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    model = ref.load_model(args.model, dtype)
    model.requires_grad_(args.backward)
    pairs = ref.read_pairs(args.data)
    t_loaded = time.perf_counter()

    n_tokens = 0
    n_padded = 0
    with open(args.output, "w") as out:
        for i in range(0, len(pairs), args.batch_size):
            chunk = pairs[i:i + args.batch_size]
            prompts, chosen, rejected = [], [], []
            for pr in chunk:
                c, r = ref.truncate_pair(pr["chosen_input_ids"], pr["rejected_input_ids"], args.truncation)
                prompts.append(list(pr["prompt_input_ids"]))
                chosen.append(c)
                rejected.append(r)
            n = len(chunk)
            ctx = contextlib.nullcontext() if args.backward else torch.no_grad()
            with ctx:
                logps, counts = ref.batch_logps(model, prompts + prompts, chosen + rejected, "right")
                if args.backward:
                    (logps[:n] - logps[n:]).sum().backward()
                    model.zero_grad(set_to_none=True)
            n_tokens += sum(len(p) + len(c) for p, c in zip(prompts + prompts, chosen + rejected))
            n_padded += 2 * n * max(len(p) + len(c) for p, c in zip(prompts + prompts, chosen + rejected))
            lp = logps.detach().tolist()
            ct = counts.tolist()
            for j in range(n):
                out.write(json.dumps({"chosen_logps": lp[j], "rejected_logps": lp[n + j],
                                      "chosen_tokens": ct[j], "rejected_tokens": ct[n + j]}) + "\n")
    t_end = time.perf_counter()
    print(json.dumps({
        "pairs": len(pairs), "real_tokens": n_tokens, "padded_tokens": n_padded,
        "load_s": round(t_loaded - t_start, 4), "compute_s": round(t_end - t_loaded, 4),
        "total_s": round(t_end - t_start, 4), "threads": torch.get_num_threads(),
        "backward": args.backward, "truncation": args.truncation, "torch": torch.__version__,
    }), file=sys.stderr)


if __name__ == "__main__":
    main()
