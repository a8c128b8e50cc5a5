#!/usr/bin/python3
"""Greedy generation reference: a plain argmax loop in float64 PyTorch (no KV cache: the whole sequence is fed
again at every step) on the tiny fixture checkpoints. Writes test/fixtures/<name>/greedy.json with the prompts
(the prompt_input_ids of pairs.jsonl) and the 12 tokens chosen after each. Run with /usr/bin/python3."""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hf_reference as ref  # noqa: E402

FIX = os.path.join(os.path.dirname(HERE), "test", "fixtures")
STEPS = 12

for name in ["gpt2", "llama", "qwen2"]:
    d = os.path.join(FIX, name)
    model = ref.load_model(os.path.join(d, "model"), torch.float64)
    prompts = [p["prompt_input_ids"] for p in ref.read_pairs(os.path.join(d, "pairs.jsonl"))]
    completions, gaps = [], []
    with torch.no_grad():
        for p in prompts:
            ids = list(p)
            out = []
            for _ in range(STEPS):
                logits = model(torch.tensor([ids]))[0, -1]
                top2 = torch.topk(logits, 2).values
                gaps.append(float(top2[0] - top2[1]))
                nxt = int(torch.argmax(logits))
                out.append(nxt)
                ids.append(nxt)
            completions.append(out)
    with open(os.path.join(d, "greedy.json"), "w") as f:
        json.dump({"max_new_tokens": STEPS, "prompts": prompts, "completions": completions,
                   "min_top2_gap": min(gaps)}, f)
        f.write("\n")
    print(name, "min logit gap between the top two tokens:", min(gaps))
