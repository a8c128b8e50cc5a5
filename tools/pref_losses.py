"""Preference losses and TRL's logged metrics, from sequence log-probs (torch only).

Written from the math of TRL's trainers (huggingface/trl), not copied:

* DPO, loss_type "sigmoid" (trl/trainer/dpo_trainer.py):
      chosen_logratios   = pc - rc          (policy minus reference, summed completion log-probs)
      rejected_logratios = pr - rr
      d                  = chosen_logratios - rejected_logratios
      loss_i = -(1 - ls) * logsigmoid(beta * d) - ls * logsigmoid(-beta * d)
      rewards/chosen_i   = beta * (pc - rc),  rewards/rejected_i = beta * (pr - rr)
      logps/chosen       = pc (summed, policy), logps/rejected = pr
  (ls = label_smoothing; the newest TRL moved label smoothing into "robust"/"exo_pair"
  and its "sigmoid" is the ls = 0 case; older releases carried the ls terms above.)

* SimPO, CPOTrainer with loss_type "simpo" (trl/experimental/cpo/cpo_trainer.py, earlier
  trl/trainer/cpo_trainer.py): the policy log-probs are length-AVERAGED
  (get_batch_logps(..., average_log_prob=True) for loss_type in {"ipo", "simpo"}):
      ac = pc / |yc|, ar = pr / |yr|
      logits = (ac - ar) - simpo_gamma / beta
      loss_i = -(1 - ls) * logsigmoid(beta * logits) - ls * logsigmoid(-beta * logits)
             = -logsigmoid(beta * (ac - ar) - simpo_gamma)          (ls = 0)
      rewards/chosen_i = beta * ac, rewards/rejected_i = beta * ar
      logps/chosen = ac, logps/rejected = ar      (the averaged ones: the same tensors)
  TRL's simpo_gamma is the ABSOLUTE margin gamma; the SimPO paper's repo configures
  gamma_beta_ratio = gamma / beta instead. Pure SimPO needs cpo_alpha = 0 (CPOConfig's
  default 1.0 adds an NLL term on the chosen response).

Both trainers: rewards/accuracies_i = float(chosen_reward > rejected_reward) (strict: a tie
counts 0), rewards/margins_i = chosen_reward - rejected_reward; every logged metric and the
loss are means over the pairs of the batch.
"""

from __future__ import annotations

from typing import Dict

import torch
import torch.nn.functional as F


def dpo_sigmoid(pc: torch.Tensor, pr: torch.Tensor, rc: torch.Tensor, rr: torch.Tensor,
                beta: float, label_smoothing: float = 0.0):
    """Per-pair (losses, chosen_rewards, rejected_rewards) of DPO's sigmoid loss."""
    d = (pc - rc) - (pr - rr)
    losses = -F.logsigmoid(beta * d) * (1.0 - label_smoothing)
    if label_smoothing:
        losses = losses - F.logsigmoid(-beta * d) * label_smoothing
    return losses, beta * (pc - rc).detach(), beta * (pr - rr).detach()


def simpo(ac: torch.Tensor, ar: torch.Tensor, beta: float, gamma: float, label_smoothing: float = 0.0):
    """Per-pair (losses, chosen_rewards, rejected_rewards) of SimPO on length-averaged log-probs."""
    logits = (ac - ar) - gamma / beta
    losses = -F.logsigmoid(beta * logits) * (1.0 - label_smoothing)
    if label_smoothing:
        losses = losses - F.logsigmoid(-beta * logits) * label_smoothing
    return losses, beta * ac.detach(), beta * ar.detach()


def preference_loss(loss_type: str, pc, pr, nc, nr, rc=None, rr=None, *, beta: float,
                    label_smoothing: float = 0.0, simpo_gamma: float = 0.0):
    """(losses, chosen_rewards, rejected_rewards, logged_chosen_logps, logged_rejected_logps) per pair.

    pc, pr: summed policy log-probs; nc, nr: completion token counts (after truncation);
    rc, rr: summed reference log-probs (DPO only).
    """
    if loss_type == "dpo":
        if rc is None or rr is None:
            raise ValueError("dpo needs reference log-probs")
        losses, crw, rrw = dpo_sigmoid(pc, pr, rc, rr, beta, label_smoothing)
        return losses, crw, rrw, pc.detach(), pr.detach()
    if loss_type == "simpo":
        ac, ar = pc / nc, pr / nr
        losses, crw, rrw = simpo(ac, ar, beta, simpo_gamma, label_smoothing)
        return losses, crw, rrw, ac.detach(), ar.detach()
    raise ValueError(f"unknown loss_type {loss_type!r}")


def trl_metrics(losses, chosen_rewards, rejected_rewards, logps_chosen, logps_rejected) -> Dict[str, float]:
    """TRL's logged names, each the mean over the pairs."""
    return {
        "loss": losses.detach().mean().item(),
        "rewards/chosen": chosen_rewards.mean().item(),
        "rewards/rejected": rejected_rewards.mean().item(),
        "rewards/accuracies": (chosen_rewards > rejected_rewards).to(chosen_rewards.dtype).mean().item(),
        "rewards/margins": (chosen_rewards - rejected_rewards).mean().item(),
        "logps/chosen": logps_chosen.mean().item(),
        "logps/rejected": logps_rejected.mean().item(),
    }


def global_grad_norm(params) -> float:
    """L2 norm over all gradients, as torch.nn.utils.clip_grad_norm_ (norm_type 2) returns it."""
    norms = [p.grad.detach().norm(2) for p in params if p.grad is not None]
    if not norms:
        return 0.0
    return torch.stack(norms).norm(2).item()

