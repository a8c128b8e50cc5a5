#!/usr/bin/python3
"""PyTorch baseline: forward and training-step throughput of the bench Llama on CPU.

    /usr/bin/python3 bench/torch_train_bench.py --threads N [--model DIR] [--seed S] [--iters K]
        [--warmup W] [--lengths 64,200,...]

Batch: 16 sequences with lengths drawn uniformly from 64..256 (seeded; or exactly
--lengths), random token
ids, right padding with an attention mask. Measures, after warmup, the median of K
iterations of
  (a) forward only, under torch.no_grad (the model forward up to the logits), and
  (b) one training step: forward, cross-entropy over the non-pad next-token targets,
      backward, torch.optim.AdamW step (and zero_grad).
Tokens/s count real (non-pad) tokens. Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

import torch_common as tc


def make_batch(vocab: int, seed: int, batch: int, min_len: int, max_len: int, lengths=None):
    g = torch.Generator().manual_seed(seed)
    drawn = torch.randint(min_len, max_len + 1, (batch,), generator=g).tolist()
    lengths = list(lengths) if lengths else drawn
    batch = len(lengths)
    T = max(lengths)
    ids = torch.zeros((batch, T), dtype=torch.long)
    mask = torch.zeros((batch, T), dtype=torch.long)
    for b, n in enumerate(lengths):
        ids[b, :n] = torch.randint(0, vocab, (n,), generator=g)
        mask[b, :n] = 1
    labels = ids.masked_fill(mask == 0, -100)
    return ids, mask, labels, lengths


def timed(fn, warmup: int, iters: int):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--model", default=None, help="HF model dir (default: random bench Llama)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--min-len", type=int, default=64)
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--lengths", default=None,
                    help="comma-separated sequence lengths (overrides --batch/--min-len/--max-len)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model, config = tc.load_or_build(args.model, args.seed, torch.float32)
    vocab = config["vocab_size"]
    fixed = [int(x) for x in args.lengths.split(",") if x.strip()] if args.lengths else None
    ids, mask, labels, lengths = make_batch(vocab, args.seed, args.batch, args.min_len, args.max_len, fixed)
    real = int(mask.sum())
    padded = int(mask.numel())

    def forward():
        with torch.no_grad():
            model(ids, attention_mask=mask)

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    losses = []

    def train_step():
        opt.zero_grad(set_to_none=True)
        logits = model(ids, attention_mask=mask)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), labels[:, 1:].reshape(-1), ignore_index=-100)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    fwd = timed(forward, args.warmup, args.iters)
    trn = timed(train_step, args.warmup, args.iters)
    f_s = statistics.median(fwd)
    t_s = statistics.median(trn)
    print(json.dumps({
        "threads": args.threads,
        "real_tokens": real,
        "padded_tokens": padded,
        "forward_s": round(f_s, 6),
        "forward_tok_s": round(real / f_s, 2),
        "train_s": round(t_s, 6),
        "train_tok_s": round(real / t_s, 2),
        "torch": torch.__version__,
        "batch": len(lengths),
        "iters": args.iters,
        "warmup": args.warmup,
        "params": sum(p.numel() for p in model.parameters()),
        "forward_s_all": [round(x, 6) for x in fwd],
        "train_s_all": [round(x, 6) for x in trn],
        "loss_first": round(losses[0], 6),
        "loss_last": round(losses[-1], 6),
        "model": args.model or "random",
    }), flush=True)


if __name__ == "__main__":
    main()
