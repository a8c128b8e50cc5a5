#!/usr/bin/python3
"""Write poet's committed parity fixtures under test/fixtures/ (deterministic, idempotent).

Run from anywhere with the Debian interpreter that has torch:

    /usr/bin/python3 tools/make_fixtures.py [--out test/fixtures] [--check]

For each fixture <name> in gpt2, llama, qwen2, llama-bf16-sharded it writes

    <name>/model/config.json                    HF-style config
    <name>/model/model.safetensors              (or model-0000i-of-00002.safetensors
                                                 + model.safetensors.index.json)
    <name>/pairs.jsonl                          6 pre-tokenized pairs
    <name>/expected.json                        float64 completion log-probs,
                                                 {"none": [...], "poet": [...]}
    <name>/logits.safetensors                   F64 input_ids (T,), logits (T, V)
                                                 for pair 0 prompt+chosen
    <name>/grads.safetensors                    F64 d/dparam of
                                                 L = sum_pairs(1.0*chosen - 0.5*rejected)
                                                 (truncation none), HF names and
                                                 layouts, plus loss (1,)

Everything is computed in float64 from the stored weights (BF16 upcast exactly).
--check additionally verifies batched (left and right padded) forward passes and
a few finite-difference gradients against the unpadded float64 results.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_reference as ref  # noqa: E402

TRANSFORMERS_VERSION = "4.44.2"

# (prompt_len, chosen_len, rejected_len) per pair: prompt 1..10, completions 1..20,
# pair 2 has equal completion lengths, pairs 3 and 5 have a length-1 completion.
PAIR_LENGTHS = [
    (5, 12, 7),
    (1, 20, 3),
    (10, 6, 6),
    (3, 1, 9),
    (7, 15, 18),
    (2, 4, 1),
]

GRAD_W_CHOSEN = 1.0
GRAD_W_REJECTED = -0.5


# ---------------------------------------------------------------------------
# configs (as HF's save_pretrained would write them)
# ---------------------------------------------------------------------------

def gpt2_config():
    return {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1,
        "bos_token_id": 95,
        "embd_pdrop": 0.1,
        "eos_token_id": 95,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2",
        "n_ctx": 64,
        "n_embd": 32,
        "n_head": 4,
        "n_inner": None,
        "n_layer": 2,
        "n_positions": 64,
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "torch_dtype": "float32",
        "transformers_version": TRANSFORMERS_VERSION,
        "use_cache": True,
        "vocab_size": 96,
    }


def llama_config(torch_dtype="float32"):
    return {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 88,
        "max_position_embeddings": 128,
        "mlp_bias": False,
        "model_type": "llama",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "pretraining_tp": 1,
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": 10000.0,
        "tie_word_embeddings": False,
        "torch_dtype": torch_dtype,
        "transformers_version": TRANSFORMERS_VERSION,
        "use_cache": True,
        "vocab_size": 128,
    }


def qwen2_config():
    return {
        "architectures": ["Qwen2ForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": 110,
        "eos_token_id": 111,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "max_position_embeddings": 128,
        "max_window_layers": 2,
        "model_type": "qwen2",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": 1000000.0,
        "sliding_window": None,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "transformers_version": TRANSFORMERS_VERSION,
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": 112,
    }


# ---------------------------------------------------------------------------
# random weights: far from uniform logits
# ---------------------------------------------------------------------------

def random_weights(model_cls, config, seed):
    """Draw every expected tensor in sorted-name order from one seeded generator.

    Scales give logits with std ~3 (mean token log-prob ~ -8, entropy ~2.2 nats,
    against log V ~ 4.7 for uniform): embeddings std 1 (0.5 when the head is tied,
    since the head then reuses them), lm_head std 0.5, other matrices std 0.25,
    norm weights 1 + 0.1*randn, biases 0.1*randn.
    """
    shapes = model_cls.shapes_for(config)
    tied = "lm_head.weight" not in shapes
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name in sorted(shapes):
        shape = shapes[name]
        n = torch.randn(shape, generator=g, dtype=torch.float32)
        if "wte" in name or "wpe" in name or "embed_tokens" in name:
            t = n * (0.5 if tied else 1.0)
        elif name == "lm_head.weight":
            t = 0.5 * n
        elif "norm" in name or ".ln_" in name or name.startswith("transformer.ln_f"):
            t = 1.0 + 0.1 * n if name.endswith(".weight") else 0.1 * n
        elif name.endswith(".bias"):
            t = 0.1 * n
        else:  # projection matrices
            t = 0.25 * n
        out[name] = t
    return out


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------

FIXTURES = [
    # name, model class, config factory, seed, stored dtype, shards
    ("gpt2", ref.GPT2LMHeadModel, gpt2_config, 1001, torch.float32, 1),
    ("llama", ref.LlamaForCausalLM, lambda: llama_config("float32"), 1002, torch.float32, 1),
    ("qwen2", ref.Qwen2ForCausalLM, qwen2_config, 1003, torch.float32, 1),
    ("llama-bf16-sharded", ref.LlamaForCausalLM, lambda: llama_config("bfloat16"), 1004, torch.bfloat16, 2),
]


def make_pairs(vocab, seed):
    g = torch.Generator().manual_seed(seed)
    pairs = []
    for p, c, r in PAIR_LENGTHS:
        ids = torch.randint(0, vocab, (p + c + r,), generator=g).tolist()
        pairs.append({
            "prompt_input_ids": ids[:p],
            "chosen_input_ids": ids[p:p + c],
            "rejected_input_ids": ids[p + c:],
        })
    return pairs


def write_json(path, obj, indent=2):
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent)
        f.write("\n")


def build_fixture(out_root, name, model_cls, config, seed, store_dtype, shards, check):
    root = os.path.join(out_root, name)
    mdir = os.path.join(root, "model")
    if os.path.isdir(mdir):
        shutil.rmtree(mdir)  # idempotent: no stale shards
    os.makedirs(mdir, exist_ok=True)

    weights = {k: v.to(store_dtype) for k, v in random_weights(model_cls, config, seed).items()}
    write_json(os.path.join(mdir, "config.json"), config)
    meta = {"format": "pt"}
    if shards == 1:
        ref.save_safetensors(os.path.join(mdir, "model.safetensors"), weights, meta)
    else:
        ref.save_sharded(mdir, weights, shards, meta)

    # Everything below is computed from what was written, read back.
    model = ref.load_model(mdir, torch.float64)
    stored = ref.load_model_weights(mdir)
    for k, v in weights.items():
        assert torch.equal(stored[k].view(-1).to(torch.float64), v.view(-1).to(torch.float64)), k

    vocab = config["vocab_size"]
    pairs = make_pairs(vocab, seed + 500)
    with open(os.path.join(root, "pairs.jsonl"), "w") as f:
        for pr in pairs:
            f.write(json.dumps(pr, separators=(", ", ": ")) + "\n")

    expected = {}
    with torch.no_grad():
        for trunc in ("none", "poet"):
            rows = []
            for pr in pairs:
                (cl, ct), (rl, rt) = ref.pair_logps(model, pr["prompt_input_ids"], pr["chosen_input_ids"],
                                                    pr["rejected_input_ids"], trunc)
                rows.append({"chosen_logps": cl.item(), "rejected_logps": rl.item(),
                             "chosen_tokens": ct, "rejected_tokens": rt})
            expected[trunc] = rows
    write_json(os.path.join(root, "expected.json"), expected)

    p0 = pairs[0]
    ids0 = p0["prompt_input_ids"] + p0["chosen_input_ids"]
    with torch.no_grad():
        logits0 = model(torch.tensor(ids0))[0]
    ref.save_safetensors(os.path.join(root, "logits.safetensors"),
                         {"input_ids": torch.tensor(ids0, dtype=torch.float64), "logits": logits0.contiguous()})

    model.zero_grad(set_to_none=True)
    loss = torch.zeros((), dtype=torch.float64)
    for pr in pairs:
        (cl, _), (rl, _) = ref.pair_logps(model, pr["prompt_input_ids"], pr["chosen_input_ids"],
                                          pr["rejected_input_ids"], "none")
        loss = loss + GRAD_W_CHOSEN * cl + GRAD_W_REJECTED * rl
    loss.backward()
    grads = {}
    for k, p in model.hf_parameters():
        assert p.grad is not None, f"{name}: no gradient for {k}"
        grads[k] = p.grad.detach().clone()
    grads["loss"] = loss.detach().reshape(1).clone()
    ref.save_safetensors(os.path.join(root, "grads.safetensors"), grads)

    # ---- sanity ---------------------------------------------------------
    problems = []
    vals = [r[k] for t in expected.values() for r in t for k in ("chosen_logps", "rejected_logps")]
    if not all(map(lambda v: v == v and abs(v) != float("inf"), vals)):
        problems.append("non-finite logps")
    none_vals = [r[k] for r in expected["none"] for k in ("chosen_logps", "rejected_logps")]
    if len(set(none_vals)) != len(none_vals):
        problems.append("duplicate logps")
    for k, gr in grads.items():
        if not torch.isfinite(gr).all():
            problems.append(f"non-finite grad {k}")
        if k != "loss" and gr.abs().max().item() == 0.0:
            problems.append(f"zero grad {k}")
    # uniformity: mean per-token logp vs log(1/V)
    tok = sum(r["chosen_tokens"] + r["rejected_tokens"] for r in expected["none"])
    mean_tok = sum(none_vals) / tok
    ent = -(torch.softmax(logits0, -1) * torch.log_softmax(logits0, -1)).sum(-1).mean().item()

    if check:
        problems += self_check(model, pairs, name)

    nparams = sum(p.numel() for _, p in model.hf_parameters())
    print(f"{name:20s} params={nparams:6d} files={sorted(os.listdir(mdir))}")
    print(f"{'':20s} mean token logp={mean_tok:.3f} (uniform {-torch.log(torch.tensor(float(vocab))).item():.3f}),"
          f" mean entropy pair0={ent:.3f}, loss={loss.item():.6f}")
    for i, (a, b) in enumerate(zip(expected["none"], expected["poet"])):
        print(f"{'':20s} pair{i} none c={a['chosen_logps']:.6f}/{a['chosen_tokens']} "
              f"r={a['rejected_logps']:.6f}/{a['rejected_tokens']}  poet c={b['chosen_logps']:.6f}/"
              f"{b['chosen_tokens']} r={b['rejected_logps']:.6f}/{b['rejected_tokens']}")
    if problems:
        print(f"{name}: PROBLEMS: {problems}")
    return problems


def self_check(model, pairs, name):
    """Padded batches (left/right) and finite differences vs the unpadded float64 path."""
    problems = []
    with torch.no_grad():
        prompts, comps, ref_vals = [], [], []
        for pr in pairs:
            for key in ("chosen_input_ids", "rejected_input_ids"):
                prompts.append(pr["prompt_input_ids"])
                comps.append(pr[key])
                ref_vals.append(ref.sequence_logps(model, pr["prompt_input_ids"], pr[key])[0].item())
        want = torch.tensor(ref_vals, dtype=torch.float64)
        for side in ("right", "left"):
            got, _ = ref.batch_logps(model, prompts, comps, side)
            err = (got - want).abs().max().item()
            if err > 1e-9:
                problems.append(f"{side}-padded batch differs by {err}")
            print(f"{'':20s} check {side}-padded batch max |diff| = {err:.2e}")
    # finite differences on a few entries of each parameter
    pr = pairs[0]

    def f():
        (c, _), (r, _) = ref.pair_logps(model, pr["prompt_input_ids"], pr["chosen_input_ids"],
                                        pr["rejected_input_ids"])
        return GRAD_W_CHOSEN * c + GRAD_W_REJECTED * r

    model.zero_grad(set_to_none=True)
    f().backward()
    g = torch.Generator().manual_seed(7)
    worst = 0.0
    with torch.no_grad():
        for k, p in model.hf_parameters():
            flat = p.view(-1)
            for _ in range(2):
                j = int(torch.randint(0, flat.numel(), (1,), generator=g))
                old = flat[j].item()
                h = 1e-6
                flat[j] = old + h
                up = f().item()
                flat[j] = old - h
                dn = f().item()
                flat[j] = old
                fd = (up - dn) / (2 * h)
                an = p.grad.view(-1)[j].item()
                rel = abs(fd - an) / (1.0 + abs(an))
                worst = max(worst, rel)
    model.zero_grad(set_to_none=True)
    print(f"{'':20s} check finite-difference gradients: worst |fd-an|/(1+|an|) = {worst:.2e}")
    if worst > 1e-5:
        problems.append(f"finite-difference mismatch {worst}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(here), "test", "fixtures"))
    ap.add_argument("--check", action="store_true", help="also run padded-batch and finite-difference checks")
    ap.add_argument("--only", default=None, help="comma-separated fixture names")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)  # bit-stable reductions
    os.makedirs(args.out, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    problems = []
    for name, cls, cfg, seed, dt, shards in FIXTURES:
        if only and name not in only:
            continue
        problems += build_fixture(args.out, name, cls, cfg(), seed, dt, shards, args.check)
    total = 0
    for dp, _, fs in os.walk(args.out):
        total += sum(os.path.getsize(os.path.join(dp, f)) for f in fs)
    print(f"total size of {args.out}: {total / 1024:.1f} KiB")
    if problems:
        print("FAILED:", problems)
        sys.exit(1)


if __name__ == "__main__":
    main()
