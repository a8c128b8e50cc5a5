#!/usr/bin/python3
"""PyTorch baseline for `poet train`: one DPO epoch the way TRL's DPOTrainer runs it, in float32 on CPU.

    /usr/bin/python3 bench/torch_dpo_bench.py --model DIR --data PAIRS.jsonl [--truncation none|poet]
        [--threads N] [--batch-size 8] [--lr 5e-7] [--beta 0.1] [--max-grad-norm 1.0] [--weight-decay 0.0]

- Loads the HF model dir (safetensors, single or sharded) twice in float32: the policy and a frozen
  reference (what TRL does when ref_model is None and no PEFT adapter is used).
- Reads pre-tokenized pairs {"prompt_input_ids", "chosen_input_ids", "rejected_input_ids"}, in file
  order (TRL shuffles; the order does not change the cost). With --truncation poet both completions of a
  pair are cut to k = min(len(chosen), len(rejected)) token ids before batching; the prompt is untouched.
- Per batch of --batch-size pairs: one right-padded batch of [prompt+chosen ...; prompt+rejected ...] with
  an attention mask (TRL's concatenated forward / DataCollatorForPreference), the reference forward under
  torch.no_grad EVERY step (TRL's default, precompute_ref_log_probs=False), the policy forward, summed
  completion log-probs, the DPO sigmoid loss mean(-logsigmoid(beta * ((pc - rc) - (pr - rr)))), backward,
  gradient clipping to --max-grad-norm (HF Trainer's default 1.0; 0 disables), torch.optim.AdamW step
  (betas 0.9/0.999, eps 1e-8, --weight-decay, HF Trainer's default 0.0), constant learning rate.

Prints one JSON line on stdout: pairs, tokens (real, non-pad tokens of the policy forward: prompt +
completion of both sequences of every pair, after truncation), seconds (wall time of the whole process
from before `import torch` to the end), pairs/s and tokens/s over those seconds, final_loss (the last
batch's loss), and details (load/train seconds, per-step seconds, padded tokens, steps, threads, ...).
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_common as tc  # noqa: E402
from torch_common import ref  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--truncation", choices=["none", "poet"], default="none")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=8, help="pairs per optimizer step (2x sequences)")
    ap.add_argument("--lr", type=float, default=5e-7)
    ap.add_argument("--beta", type=float, default=0.1)
    ap.add_argument("--max-grad-norm", type=float, default=1.0)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    args = ap.parse_args()

    tc.set_threads(args.threads)
    torch.manual_seed(0)
    policy = ref.load_model(args.model, torch.float32)
    reference = ref.load_model(args.model, torch.float32)
    reference.requires_grad_(False)
    pairs = ref.read_pairs(args.data)
    params = [p for _, p in policy.hf_parameters()]
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=args.weight_decay)
    t_loaded = time.perf_counter()

    n_tokens = n_padded = steps = 0
    loss_value = float("nan")
    losses = []
    step_seconds = []
    for i in range(0, len(pairs), args.batch_size):
        t_step = time.perf_counter()
        chunk = pairs[i:i + args.batch_size]
        prompts, chosen, rejected = [], [], []
        for pr in chunk:
            c, r = ref.truncate_pair(pr["chosen_input_ids"], pr["rejected_input_ids"], args.truncation)
            prompts.append(list(pr["prompt_input_ids"]))
            chosen.append(c)
            rejected.append(r)
        n = len(chunk)
        seqs_p, seqs_c = prompts + prompts, chosen + rejected
        with torch.no_grad():
            ref_logps, _ = ref.batch_logps(reference, seqs_p, seqs_c, "right")
        logps, _ = ref.batch_logps(policy, seqs_p, seqs_c, "right")
        logits = (logps[:n] - ref_logps[:n]) - (logps[n:] - ref_logps[n:])
        loss = -F.logsigmoid(args.beta * logits).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.max_grad_norm and args.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm)
        opt.step()
        loss_value = loss.item()
        losses.append(loss_value)
        steps += 1
        lens = [len(p) + len(c) for p, c in zip(seqs_p, seqs_c)]
        n_tokens += sum(lens)
        n_padded += len(lens) * max(lens)
        step_seconds.append(round(time.perf_counter() - t_step, 4))
    t_end = time.perf_counter()

    seconds = t_end - T_START
    print(json.dumps({
        "pairs": len(pairs),
        "tokens": n_tokens,
        "seconds": round(seconds, 4),
        "pairs/s": round(len(pairs) / seconds, 4),
        "tokens/s": round(n_tokens / seconds, 2),
        "final_loss": loss_value,
        "first_loss": losses[0] if losses else None,
        "steps": steps,
        "padded_tokens": n_padded,
        "load_seconds": round(t_loaded - T_START, 4),
        "train_seconds": round(t_end - t_loaded, 4),
        "train_tokens/s": round(n_tokens / max(t_end - t_loaded, 1e-9), 2),
        "step_seconds": step_seconds,
        "threads": torch.get_num_threads(),
        "batch_size": args.batch_size,
        "truncation": args.truncation,
        "lr": args.lr,
        "beta": args.beta,
        "max_grad_norm": args.max_grad_norm,
        "torch": torch.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
