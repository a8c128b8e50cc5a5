"""Shared helpers for the PyTorch side of poet's benchmarks (run with /usr/bin/python3)."""

from __future__ import annotations

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))
import hf_reference as ref  # noqa: E402,F401

# The benchmark model: a small Llama, written as HF's save_pretrained would.
BENCH_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 256,
    "initializer_range": 0.02,
    "intermediate_size": 688,
    "max_position_embeddings": 2048,
    "mlp_bias": False,
    "model_type": "llama",
    "num_attention_heads": 8,
    "num_hidden_layers": 4,
    "num_key_value_heads": 4,
    "pretraining_tp": 1,
    "rms_norm_eps": 1e-05,
    "rope_scaling": None,
    "rope_theta": 10000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "transformers_version": "4.44.2",
    "use_cache": True,
    "vocab_size": 8192,
}


def bench_weights(config: dict, seed: int) -> dict:
    """HF-style init: normal(0, initializer_range) matrices and embeddings, norms = 1."""
    shapes = ref.MODEL_CLASSES[config["model_type"]].shapes_for(config)
    g = torch.Generator().manual_seed(seed)
    std = config.get("initializer_range", 0.02)
    out = {}
    for name in sorted(shapes):
        if name.endswith("norm.weight"):
            out[name] = torch.ones(shapes[name])
        elif name.endswith(".bias"):
            out[name] = torch.zeros(shapes[name])
        else:
            out[name] = torch.randn(shapes[name], generator=g) * std
    return out


def load_or_build(model_dir: str | None, seed: int, dtype=torch.float32):
    """(model, config) from a HF dir, or the random bench model."""
    if model_dir:
        config = ref.load_config(model_dir)
        weights = ref.load_model_weights(model_dir)
    else:
        config = dict(BENCH_CONFIG)
        weights = bench_weights(config, seed)
    return ref.build_model(config, weights, dtype), config


def save_model_dir(directory: str, config: dict, weights: dict) -> None:
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    ref.save_safetensors(os.path.join(directory, "model.safetensors"), weights, {"format": "pt"})


def set_threads(n: int | None) -> None:
    if n:
        torch.set_num_threads(int(n))
