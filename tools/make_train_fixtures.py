#!/usr/bin/python3
"""Write poet's training / evaluation fixtures under test/fixtures/train/ (deterministic, idempotent).

    /usr/bin/python3 tools/make_train_fixtures.py [--out test/fixtures/train] [--check]

Inputs: the committed parity fixtures test/fixtures/{gpt2,llama}/ (model/ and pairs.jsonl),
written by tools/make_fixtures.py. Everything is computed in float64 (F32 weights upcast
exactly), with the losses of tools/pref_losses.py (TRL's definitions). See
test/fixtures/train/README.md, which this script also writes, for the conventions.

Writes
    ref-gpt2/, ref-llama/                       reference models: the fixture's config, other seed, F32
    eval-<model>-<loss>-<trunc>[-ref].json     TRL metrics over the 6 pairs + per-pair values
    step-<model>[-<loss>-<trunc>].json          one AdamW step: loss, grad_norm, metrics, ...
    step-<model>[-<loss>-<trunc>].safetensors   every parameter after the step, F64, HF names/layout
    step-<model>[-<loss>-<trunc>].grads.safetensors  the gradient of that step, F32 (debugging)
    README.md

--check adds: padded concatenated batches against the unpadded path, the fixture's
expected.json against our policy log-probs, finite differences of the step loss, and a
hand-written AdamW against torch.optim.AdamW.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import hf_reference as ref  # noqa: E402
import make_fixtures as mf  # noqa: E402
import pref_losses as pl  # noqa: E402

F64 = torch.float64

# model name -> (model class, seed of the separate reference model)
MODELS = {
    "gpt2": (ref.GPT2LMHeadModel, 2001),
    "llama": (ref.LlamaForCausalLM, 2002),
}
TRUNCATIONS = ("none", "poet")

DPO_HP = {"beta": 0.1, "label_smoothing": 0.0}
SIMPO_HP = {"beta": 2.0, "gamma_beta_ratio": 0.5, "simpo_gamma": 1.0, "label_smoothing": 0.0, "cpo_alpha": 0.0}
ADAMW_HP = {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01}

# step fixtures: (file stem, model, loss, truncation)
STEPS = [
    ("step-gpt2", "gpt2", "dpo", "none"),
    ("step-llama", "llama", "dpo", "none"),
    ("step-llama-simpo-poet", "llama", "simpo", "poet"),
]

NOTES_EVAL = [
    "Metrics are TRL's logged names, each the mean over the 6 pairs of the per-pair values (one batch of 6).",
    "Log-probs are sums of log softmax(logits[p-1])[token p] over the completion tokens only (never the prompt), "
    "after truncation: 'none' keeps the completions, 'poet' cuts both to k = min(|chosen|, |rejected|) tokens; "
    "the reference model sees the same truncated completions.",
    "dpo (TRL DPOTrainer, loss_type sigmoid): d = (pc - rc) - (pr - rr); loss = -logsigmoid(beta d) (label_smoothing 0); "
    "rewards/chosen = beta (pc - rc); rewards/rejected = beta (pr - rr); logps/chosen = pc, logps/rejected = pr "
    "(the policy's SUMMED log-probs).",
    "simpo (TRL CPOTrainer, loss_type simpo, cpo_alpha 0): ac = pc / |yc|, ar = pr / |yr| (token counts after "
    "truncation; for poet both are k); loss = -logsigmoid(beta (ac - ar) - simpo_gamma) with simpo_gamma = "
    "gamma_beta_ratio * beta; rewards/chosen = beta ac; rewards/rejected = beta ar; logps/chosen = ac, "
    "logps/rejected = ar (TRL logs the LENGTH-AVERAGED policy log-probs for simpo: get_batch_logps is called with "
    "average_log_prob=True and the same tensors feed loss, rewards and logps/*).",
    "rewards/accuracies = mean of float(chosen_reward > rejected_reward), strict: a tie counts 0 (so dpo with the "
    "reference = the policy itself gives 0, not 0.5); rewards/margins = mean of chosen_reward - rejected_reward.",
    "reference 'policy' means the reference model is the policy's own initial weights (TRL's default when "
    "ref_model is None): every log-ratio is exactly 0, loss = log 2.",
]


def rel(path: str) -> str:
    return os.path.relpath(path, ROOT).replace(os.sep, "/")


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def truncated(pairs, trunc):
    prompts, chosen, rejected = [], [], []
    for p in pairs:
        c, r = ref.truncate_pair(p["chosen_input_ids"], p["rejected_input_ids"], trunc)
        prompts.append(list(p["prompt_input_ids"]))
        chosen.append(c)
        rejected.append(r)
    return prompts, chosen, rejected


def unpadded_logps(model, pairs, trunc):
    """(pc, pr, nc, nr) float64 tensors (6,), one unpadded forward per sequence."""
    pc, pr, nc, nr = [], [], [], []
    for p in pairs:
        (c, ct), (r, rt) = ref.pair_logps(model, p["prompt_input_ids"], p["chosen_input_ids"],
                                          p["rejected_input_ids"], trunc)
        pc.append(c)
        pr.append(r)
        nc.append(ct)
        nr.append(rt)
    return torch.stack(pc), torch.stack(pr), torch.tensor(nc, dtype=F64), torch.tensor(nr, dtype=F64)


def batched_logps(model, pairs, trunc):
    """(pc, pr, nc, nr) from ONE right-padded forward of [chosen...; rejected...] (TRL's concatenated batch)."""
    prompts, chosen, rejected = truncated(pairs, trunc)
    n = len(pairs)
    logps, counts = ref.batch_logps(model, prompts + prompts, chosen + rejected, "right")
    counts = counts.to(F64)
    return logps[:n], logps[n:], counts[:n], counts[n:]


def loss_hp(loss_type):
    return dict(DPO_HP) if loss_type == "dpo" else dict(SIMPO_HP)


def compute(loss_type, pc, pr, nc, nr, rc=None, rr=None):
    hp = loss_hp(loss_type)
    return pl.preference_loss(loss_type, pc, pr, nc, nr, rc, rr, beta=hp["beta"],
                              label_smoothing=hp["label_smoothing"], simpo_gamma=hp.get("simpo_gamma", 0.0))


# ---------------------------------------------------------------------------
# reference models
# ---------------------------------------------------------------------------

def build_ref_model(out, name):
    cls, seed = MODELS[name]
    src = os.path.join(ROOT, "test", "fixtures", name, "model")
    config = ref.load_config(src)
    d = os.path.join(out, f"ref-{name}")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    weights = {k: v.to(torch.float32) for k, v in mf.random_weights(cls, config, seed).items()}
    mf.write_json(os.path.join(d, "config.json"), config)
    ref.save_safetensors(os.path.join(d, "model.safetensors"), weights, {"format": "pt"})
    return d


# ---------------------------------------------------------------------------
# eval metrics
# ---------------------------------------------------------------------------

def build_evals(out, name, ref_dir, check):
    problems = []
    mdir = os.path.join(ROOT, "test", "fixtures", name, "model")
    data = os.path.join(ROOT, "test", "fixtures", name, "pairs.jsonl")
    pairs = ref.read_pairs(data)
    policy = ref.load_model(mdir, F64)
    refm = ref.load_model(ref_dir, F64)
    with open(os.path.join(ROOT, "test", "fixtures", name, "expected.json")) as f:
        expected = json.load(f)
    with torch.no_grad():
        for trunc in TRUNCATIONS:
            pc, pr, nc, nr = unpadded_logps(policy, pairs, trunc)
            rc, rr, _, _ = unpadded_logps(refm, pairs, trunc)
            if check:
                for m, want in ((policy, (pc, pr)), (refm, (rc, rr))):
                    bc, br, bnc, bnr = batched_logps(m, pairs, trunc)
                    err = max((bc - want[0]).abs().max().item(), (br - want[1]).abs().max().item())
                    if err > 1e-10 or not torch.equal(bnc, nc) or not torch.equal(bnr, nr):
                        problems.append(f"{name}/{trunc}: padded batch differs by {err}")
                exp = expected[trunc]
                err = max(max(abs(e["chosen_logps"] - a), abs(e["rejected_logps"] - b))
                          for e, a, b in zip(exp, pc.tolist(), pr.tolist()))
                if err > 1e-10 or [e["chosen_tokens"] for e in exp] != nc.long().tolist():
                    problems.append(f"{name}/{trunc}: differs from expected.json by {err}")
                print(f"  check {name}/{trunc}: batched == unpadded, expected.json max |diff| {err:.1e}")
            variants = [
                (f"eval-{name}-dpo-{trunc}.json", "dpo", "policy", pc, pr),
                (f"eval-{name}-dpo-{trunc}-ref.json", "dpo", rel(ref_dir), rc, rr),
                (f"eval-{name}-simpo-{trunc}.json", "simpo", None, None, None),
            ]
            for fname, loss_type, ref_name, vc, vr in variants:
                losses, crw, rrw, lc, lr = compute(loss_type, pc, pr, nc, nr, vc, vr)
                metrics = pl.trl_metrics(losses, crw, rrw, lc, lr)
                rows = []
                for i in range(len(pairs)):
                    row = {"policy_chosen_logps": pc[i].item(), "policy_rejected_logps": pr[i].item(),
                           "chosen_tokens": int(nc[i]), "rejected_tokens": int(nr[i])}
                    if vc is not None:
                        row["reference_chosen_logps"] = vc[i].item()
                        row["reference_rejected_logps"] = vr[i].item()
                    row.update({"loss": losses[i].item(), "chosen_reward": crw[i].item(),
                                "rejected_reward": rrw[i].item(), "logged_chosen_logps": lc[i].item(),
                                "logged_rejected_logps": lr[i].item()})
                    rows.append(row)
                obj = {
                    "_notes": NOTES_EVAL,
                    "model": rel(mdir),
                    "reference": ref_name,
                    "data": rel(data),
                    "loss_type": loss_type,
                    "truncation": trunc,
                    "hyperparameters": loss_hp(loss_type),
                    "metrics": metrics,
                    "pairs": rows,
                }
                write_json(os.path.join(out, fname), obj)
                print(f"  {fname:32s} " + " ".join(f"{k}={v:.6g}" for k, v in metrics.items()))
                if not all(math.isfinite(v) for v in metrics.values()):
                    problems.append(f"{fname}: non-finite metric")
    return problems


# ---------------------------------------------------------------------------
# one training step
# ---------------------------------------------------------------------------

def step_loss(policy, reference, pairs, loss_type, trunc):
    pc, pr, nc, nr = batched_logps(policy, pairs, trunc)
    rc = rr = None
    if loss_type == "dpo":
        with torch.no_grad():
            rc, rr, _, _ = batched_logps(reference, pairs, trunc)
    out = compute(loss_type, pc, pr, nc, nr, rc, rr)
    return out, (pc, pr, nc, nr, rc, rr)


def manual_adamw(p, g, lr, b1, b2, eps, wd, step=1):
    """torch.optim.AdamW's first step from zero moments, written out."""
    m = (1 - b1) * g
    v = (1 - b2) * g * g
    bc1, bc2 = 1 - b1 ** step, 1 - b2 ** step
    p = p * (1 - lr * wd)
    return p - (lr / bc1) * m / (v.sqrt() / math.sqrt(bc2) + eps)


def build_step(out, stem, name, loss_type, trunc, check):
    problems = []
    mdir = os.path.join(ROOT, "test", "fixtures", name, "model")
    data = os.path.join(ROOT, "test", "fixtures", name, "pairs.jsonl")
    pairs = ref.read_pairs(data)
    policy = ref.load_model(mdir, F64)
    reference = None
    if loss_type == "dpo":
        reference = ref.load_model(mdir, F64)  # the initial policy, frozen
        reference.requires_grad_(False)

    policy.zero_grad(set_to_none=True)
    (losses, crw, rrw, lc, lr), (pc, pr, nc, nr, rc, rr) = step_loss(policy, reference, pairs, loss_type, trunc)
    loss = losses.mean()
    loss.backward()
    named = policy.hf_parameters()
    params = [p for _, p in named]
    grad_norm = pl.global_grad_norm(params)
    grads = {k: p.grad.detach().clone() for k, p in named}
    before = {k: p.detach().clone() for k, p in named}
    metrics = pl.trl_metrics(losses, crw, rrw, lc, lr)

    hp = ADAMW_HP
    if check:
        problems += fd_check(policy, reference, pairs, loss_type, trunc, stem)
        policy.zero_grad(set_to_none=True)
        loss2 = step_loss(policy, reference, pairs, loss_type, trunc)[0][0].mean()
        loss2.backward()  # restore the gradient exactly as it was
        for k, p in named:
            assert torch.equal(p.grad, grads[k]), k
    opt = torch.optim.AdamW(params, lr=hp["lr"], betas=tuple(hp["betas"]), eps=hp["eps"],
                            weight_decay=hp["weight_decay"], foreach=False)
    opt.step()
    after = {k: p.detach().clone() for k, p in named}
    if check:
        worst = 0.0
        for k in after:
            want = manual_adamw(before[k], grads[k], hp["lr"], hp["betas"][0], hp["betas"][1], hp["eps"],
                                hp["weight_decay"])
            worst = max(worst, (want - after[k]).abs().max().item())
        print(f"  check {stem}: hand-written AdamW vs torch.optim.AdamW max |diff| = {worst:.1e}")
        if worst > 1e-15:
            problems.append(f"{stem}: AdamW mismatch {worst}")
    with torch.no_grad():
        loss_after = step_loss(policy, reference, pairs, loss_type, trunc)[0][0].mean().item()

    allg = torch.cat([g.reshape(-1) for g in grads.values()]).abs()
    nz = allg[allg > 0]
    upd = torch.cat([(after[k] - before[k]).reshape(-1) for k in after]).abs()
    stats = {
        "n_params": int(allg.numel()),
        "n_grad_exactly_zero": int((allg == 0).sum()),
        "grad_abs_min_nonzero": nz.min().item() if nz.numel() else 0.0,
        "n_grad_abs_below_1e-6_nonzero": int(((allg > 0) & (allg < 1e-6)).sum()),
        "n_grad_abs_below_1e-8_nonzero": int(((allg > 0) & (allg < 1e-8)).sum()),
        "grad_abs_max": allg.max().item(),
        "update_abs_max": upd.max().item(),
    }
    # Entries whose gradient is 0 in exact arithmetic but not in floating point: GPT-2's key bias
    # (c_attn.bias[C:2C]) adds q.b_k to every score of a query row, which softmax ignores. Their stored
    # gradients are float64 rounding noise, and their AdamW update (lr * g / (|g| + eps)) is noise too.
    zero_slices = {}
    if policy.model_type == "gpt2":
        C = policy.n_embd
        for i in range(policy.n_layer):
            k = f"transformer.h.{i}.attn.c_attn.bias"
            zero_slices[k] = {"slice": [C, 2 * C], "grad_abs_max": grads[k][C:2 * C].abs().max().item()}
    stats["analytically_zero_grad"] = zero_slices
    rows = []
    for i in range(len(pairs)):
        row = {"policy_chosen_logps": pc[i].item(), "policy_rejected_logps": pr[i].item(),
               "chosen_tokens": int(nc[i]), "rejected_tokens": int(nr[i])}
        if rc is not None:
            row["reference_chosen_logps"] = rc[i].item()
            row["reference_rejected_logps"] = rr[i].item()
        row["loss"] = losses[i].item()
        rows.append(row)
    obj = {
        "_notes": [
            "One optimizer step on all 6 pairs of `data` as a single batch, everything in float64 (the "
            "fixture's F32 weights upcast exactly).",
            "loss = mean over the 6 pairs of the per-pair loss (see eval fixtures' _notes for the formulas); "
            "for dpo the reference is the INITIAL policy (a frozen copy), so loss = log 2 exactly and every "
            "reward is 0, while the gradient -beta/(2*6) * sum_i d(pc_i - pr_i)/dtheta is not zero.",
            "grad_norm = sqrt(sum over all parameters of sum(grad^2)), what torch.nn.utils.clip_grad_norm_ "
            "returns (HF Trainer's logged grad_norm); no clipping is applied.",
            "optimizer: torch.optim.AdamW, one parameter group, weight decay on EVERY parameter (HF Trainer "
            "would exempt biases and norm weights), constant lr, step 1 from zero moments: "
            "p <- p (1 - lr wd) - lr * g / (|g| + eps), exactly: m = (1-b1) g, v = (1-b2) g^2, "
            "p <- p (1 - lr wd) - (lr / (1-b1)) m / (sqrt(v) / sqrt(1-b2) + eps).",
            "<stem>.safetensors holds every parameter after the step (F64, HF names and layouts; GPT-2's tied "
            "lm_head is not stored separately, as save_pretrained does); <stem>.grads.safetensors holds the "
            "gradient (F32, same names). Entries with |g| << eps have updates that are very sensitive to "
            "rounding in g (d update / d g = lr * eps / (|g| + eps)^2); see grad_stats. In particular "
            "grad_stats.analytically_zero_grad lists GPT-2's key biases (c_attn.bias[C:2C]): their gradient is 0 "
            "in exact arithmetic (softmax is shift-invariant per query row), the stored values are rounding noise "
            "(~1e-17), so an implementation in float32 (noise ~1e-9, comparable to eps) legitimately moves those "
            "entries by anything up to lr: compare them with a tolerance of lr, or skip them.",
            "metrics: TRL's logged values for this step's batch, computed before the update; loss_after: the "
            "same loss re-evaluated with the updated weights (reference unchanged).",
        ],
        "model": rel(mdir),
        "reference": "policy" if loss_type == "dpo" else None,
        "data": rel(data),
        "loss_type": loss_type,
        "truncation": trunc,
        "batch_size": len(pairs),
        "hyperparameters": loss_hp(loss_type),
        "optimizer": dict(hp, name="AdamW", step=1, lr_scheduler="constant", max_grad_norm=None),
        "loss": loss.item(),
        "grad_norm": grad_norm,
        "loss_after": loss_after,
        "metrics": metrics,
        "grad_stats": stats,
        "pairs": rows,
    }
    write_json(os.path.join(out, stem + ".json"), obj)
    ref.save_safetensors(os.path.join(out, stem + ".safetensors"), after, {"format": "pt"})
    ref.save_safetensors(os.path.join(out, stem + ".grads.safetensors"),
                         {k: g.to(torch.float32) for k, g in grads.items()})
    print(f"  {stem:24s} loss={loss.item():.12g} grad_norm={grad_norm:.12g} loss_after={loss_after:.12g}")
    print(f"  {'':24s} {stats}")
    if loss_type == "dpo" and abs(loss.item() - math.log(2)) > 1e-15:
        problems.append(f"{stem}: first dpo loss {loss.item()} != log 2")
    if not (loss_after < loss.item()):
        problems.append(f"{stem}: the step did not lower the loss ({loss.item()} -> {loss_after})")
    return problems


def fd_check(policy, reference, pairs, loss_type, trunc, stem):
    """Central differences of the batch loss on a few entries of every parameter."""
    g = torch.Generator().manual_seed(11)
    worst = 0.0
    with torch.no_grad():
        for k, p in policy.hf_parameters():
            flat = p.view(-1)
            for _ in range(2):
                j = int(torch.randint(0, flat.numel(), (1,), generator=g))
                old = flat[j].item()
                h = 1e-5
                flat[j] = old + h
                up = step_loss(policy, reference, pairs, loss_type, trunc)[0][0].mean().item()
                flat[j] = old - h
                dn = step_loss(policy, reference, pairs, loss_type, trunc)[0][0].mean().item()
                flat[j] = old
                fd = (up - dn) / (2 * h)
                an = p.grad.view(-1)[j].item()
                worst = max(worst, abs(fd - an) / (1e-3 + abs(an)))
    print(f"  check {stem}: finite differences worst |fd-an|/(1e-3+|an|) = {worst:.1e}")
    return [f"{stem}: finite-difference mismatch {worst}"] if worst > 1e-5 else []


README = """# Training fixtures (`test/fixtures/train/`)

Written by `/usr/bin/python3 tools/make_train_fixtures.py [--check]` (deterministic; PyTorch 1.13, float64
throughout, F32 weights upcast exactly). Inputs are the parity fixtures `test/fixtures/{gpt2,llama}/`
(`model/`, `pairs.jsonl`: 6 pre-tokenized pairs). The losses are written from TRL's definitions
(`trl/trainer/dpo_trainer.py`, loss_type `sigmoid`; `trl/experimental/cpo/cpo_trainer.py`, loss_type
`simpo`) in `tools/pref_losses.py`; the model forward passes are `tools/hf_reference.py`.

## Notation

For pair i: `pc`, `pr` = the policy's summed completion log-probs of chosen / rejected (sum over completion
tokens p of `log_softmax(logits[p-1])[token p]`; the prompt is never scored), `rc`, `rr` the same under the
reference model, `|yc|`, `|yr|` the completion token counts. All of these are taken AFTER truncation:
`none` keeps the completions; `poet` cuts both to `k = min(|chosen|, |rejected|)` tokens (the prompt is
untouched, the reference sees the same truncated tokens, and SimPO's averages divide by k).

| loss | per-pair loss | rewards/chosen | rewards/rejected | logps/chosen, logps/rejected |
|---|---|---|---|---|
| `dpo` (beta 0.1, label_smoothing 0) | `-logsigmoid(beta * ((pc - rc) - (pr - rr)))` | `beta * (pc - rc)` | `beta * (pr - rr)` | `pc`, `pr` (sums) |
| `simpo` (beta 2.0, gamma_beta_ratio 0.5, i.e. TRL `simpo_gamma` 1.0, `cpo_alpha` 0) | `-logsigmoid(beta * (pc/|yc| - pr/|yr|) - simpo_gamma)` | `beta * pc/|yc|` | `beta * pr/|yr|` | `pc/|yc|`, `pr/|yr|` (averages) |

- With label smoothing `ls` TRL's sigmoid-type losses are `-(1-ls) logsigmoid(beta z) - ls logsigmoid(-beta z)`
  (z the logit above, for simpo `z = (ac - ar) - simpo_gamma/beta`); all fixtures use `ls = 0`.
- TRL's CPOTrainer computes SimPO's log-probs with `average_log_prob=True` and feeds the SAME averaged tensors
  to the loss, to `rewards/*` (times beta) and to `logps/*`: for simpo `logps/chosen` is the length-averaged
  policy log-prob, not the sum. TRL's `simpo_gamma` is the absolute margin gamma (the SimPO paper's repo uses
  `gamma_beta_ratio = gamma / beta`; here gamma = 0.5 * 2.0 = 1.0). CPOConfig's default `cpo_alpha = 1.0`
  would add an NLL term on the chosen response; pure SimPO is `cpo_alpha = 0`, as here.
- `rewards/accuracies` = mean of `chosen_reward > rejected_reward` (strict; ties count 0),
  `rewards/margins` = mean of `chosen_reward - rejected_reward`. Every metric and the loss are means over the
  pairs of the batch (here all 6 pairs in one batch).

## Files

### `ref-gpt2/`, `ref-llama/`
HF model directories (`config.json`, `model.safetensors`, F32): the same config as `test/fixtures/<model>/model`,
weights drawn by `make_fixtures.random_weights` with seeds 2001 (gpt2) / 2002 (llama). Used as the separate
DPO reference model.

### `eval-<model>-<loss>-<trunc>[-ref].json` (12 files)
model in {gpt2, llama}, loss in {dpo, simpo}, trunc in {none, poet}. The policy is
`test/fixtures/<model>/model`, the data `test/fixtures/<model>/pairs.jsonl`.
- `eval-<model>-dpo-<trunc>.json`: the reference is the policy itself (TRL's default with `ref_model=None`):
  all log-ratios are exactly 0, loss = log 2, rewards 0, accuracies 0 (ties).
- `eval-<model>-dpo-<trunc>-ref.json`: the reference is `test/fixtures/train/ref-<model>`.
- `eval-<model>-simpo-<trunc>.json`: no reference.

Fields: `model`, `reference` (`"policy"`, a model dir relative to the repo root, or null), `data`,
`loss_type`, `truncation`, `hyperparameters`, `metrics` (`loss`, `rewards/chosen`, `rewards/rejected`,
`rewards/accuracies`, `rewards/margins`, `logps/chosen`, `logps/rejected`), `pairs` (per pair:
`policy_chosen_logps`, `policy_rejected_logps` (sums), `chosen_tokens`, `rejected_tokens` (after
truncation), `reference_chosen_logps`, `reference_rejected_logps` (dpo only), `loss`, `chosen_reward`,
`rejected_reward`, `logged_chosen_logps`, `logged_rejected_logps` (what `logps/*` averages)), `_notes`.

### `step-<stem>.json`, `step-<stem>.safetensors`, `step-<stem>.grads.safetensors`
One optimizer step, all 6 pairs in ONE batch (right-padded concatenated [chosen; rejected] forward, as TRL):

| stem | model | loss | truncation | reference |
|---|---|---|---|---|
| `step-gpt2` | gpt2 | dpo (beta 0.1) | none | the initial policy (frozen copy) |
| `step-llama` | llama | dpo (beta 0.1) | none | the initial policy (frozen copy) |
| `step-llama-simpo-poet` | llama | simpo (beta 2.0, gamma 1.0) | poet | none |

- loss = mean of the per-pair losses. For the dpo steps the first loss is log 2 exactly (policy == reference),
  but its gradient `-(beta/2)/6 * sum_i grad(pc_i - pr_i)` is not zero.
- Optimizer: `torch.optim.AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)`, one parameter
  group (decay on every parameter, including biases and norm weights, unlike HF Trainer's default grouping),
  constant lr, no gradient clipping, one step from zero moments:
  `p <- p * (1 - lr*wd) - (lr / (1 - b1)) * m / (sqrt(v) / sqrt(1 - b2) + eps)` with `m = (1-b1) g`,
  `v = (1-b2) g^2`, i.e. `p * (1 - lr*wd) - lr * g / (|g| + eps)`.
- `grad_norm` = `sqrt(sum_params sum(g^2))`, the value `torch.nn.utils.clip_grad_norm_` returns (HF
  Trainer's logged `grad_norm`).
- `.safetensors`: every parameter after the step, F64, HF names and layouts (GPT-2 Conv1D weights (in, out);
  the tied GPT-2 head is not stored apart from `transformer.wte.weight`, as `save_pretrained` does).
- `.grads.safetensors`: the step's gradient, F32, same names (debugging; the comparison values are F64).
- JSON: `loss`, `grad_norm`, `loss_after` (same batch and reference, updated weights), `metrics` (TRL's
  logged values for the step, before the update), `grad_stats` (how many gradient entries are exactly 0 -
  embedding rows of unused tokens, unused position rows - and how many are tiny: an entry with |g| near eps
  moves by `lr * g/(|g|+eps)`, which is sensitive to rounding in g), `pairs`, `optimizer`,
  `hyperparameters`, `_notes`.

**Caution, GPT-2 key biases.** `transformer.h.*.attn.c_attn.bias[32:64]` (the key part of the fused bias) has
a gradient that is exactly 0 in exact arithmetic: adding `q . b_k` to every score of a query row does not
change the softmax. The F64 values stored are rounding noise (|g| ~ 3e-17, listed under
`grad_stats.analytically_zero_grad`), so the reference update there is weight decay only, while a float32
implementation gets noise of order 1e-9..1e-7, comparable to `eps = 1e-8`, and AdamW's first step turns that
into an arbitrary move of up to `lr` = 1e-3. Compare those 64 entries with a tolerance of `lr`, or skip
them. (Llama has no biases; its smallest nonzero |g| is ~3e-7, well above eps.)
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "train"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    problems = []
    ref_dirs = {}
    for name in MODELS:
        ref_dirs[name] = build_ref_model(out, name)
    for name in MODELS:
        print(f"eval {name}")
        problems += build_evals(out, name, ref_dirs[name], args.check)
    for stem, name, loss_type, trunc in STEPS:
        print(f"step {stem}")
        problems += build_step(out, stem, name, loss_type, trunc, args.check)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(README)
    total = 0
    for dp, _, fs in os.walk(out):
        total += sum(os.path.getsize(os.path.join(dp, f)) for f in fs)
    print(f"total size of {rel(out)}: {total / 1024:.1f} KiB")
    if problems:
        print("FAILED:", problems)
        sys.exit(1)


if __name__ == "__main__":
    main()
