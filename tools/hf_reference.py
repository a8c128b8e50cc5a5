"""Independent PyTorch reference for poet.

A small, dependency-free (torch only) re-implementation of what poet has to
match:

* a pure-python safetensors reader / writer (single file and sharded HF layout),
* a loader for Hugging Face model directories (config.json + weights),
* forward passes for GPT2LMHeadModel, LlamaForCausalLM and Qwen2ForCausalLM,
  written from the Hugging Face modeling conventions, in any floating dtype,
  for an unpadded sequence or a padded batch with an attention mask,
* completion log-probs of preference pairs (optionally with POET truncation).

Run it only with the Debian interpreter that has torch: ``/usr/bin/python3``.

Parameters are held under their exact Hugging Face names (see
``CausalLM.hf_parameters``) and in the Hugging Face layout (GPT-2 Conv1D weights
are (in, out); nn.Linear weights are (out, in)), so gradients come out keyed and
shaped like a HF state dict. A tied head reuses the embedding tensor, so the
embedding gradient includes the head's contribution.
"""

from __future__ import annotations

import json
import math
import os
import struct
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------

ST_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
ST_NAMES = {v: k for k, v in ST_DTYPES.items()}

DTYPE_NAMES = {  # config.json torch_dtype strings
    "float64": torch.float64,
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}


def _tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16: ship the raw bits
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    if t.numel() == 0:
        return b""
    # Tensor.numpy() is native-endian; every machine we run on is little-endian.
    assert struct.pack("=H", 1) == b"\x01\x00", "big-endian hosts are not supported"
    return t.numpy().tobytes()


def _tensor_from_bytes(buf: bytes, dtype_name: str, shape: Sequence[int]) -> torch.Tensor:
    if dtype_name not in ST_DTYPES:
        raise ValueError(f"unsupported safetensors dtype {dtype_name}")
    dtype = ST_DTYPES[dtype_name]
    n = 1
    for s in shape:
        n *= int(s)
    if n == 0:
        return torch.zeros(tuple(shape), dtype=dtype)
    if dtype == torch.bfloat16:
        t = torch.frombuffer(bytearray(buf), dtype=torch.int16).view(torch.bfloat16)
    elif dtype == torch.bool:
        t = torch.frombuffer(bytearray(buf), dtype=torch.uint8).to(torch.bool)
    else:
        t = torch.frombuffer(bytearray(buf), dtype=dtype)
    if t.numel() != n:
        raise ValueError(f"byte length {len(buf)} does not match {dtype_name}{list(shape)}")
    return t.reshape(tuple(int(s) for s in shape))


def save_safetensors(path: str, tensors: Dict[str, torch.Tensor],
                     metadata: Optional[Dict[str, str]] = None) -> int:
    """Write ``tensors`` (name -> tensor) to ``path``; returns the data size in bytes.

    Tensors are laid out in sorted name order (like the reference library), the
    JSON header is padded with spaces to a multiple of 8 bytes.
    """
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs: List[bytes] = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in ST_NAMES:
            raise ValueError(f"unsupported dtype {t.dtype} for {name}")
        data = _tensor_bytes(t)
        header[name] = {
            "dtype": ST_NAMES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    return offset


def read_safetensors_header(path: str) -> Tuple[Dict[str, dict], Dict[str, str], int]:
    """Returns (tensor entries, metadata, byte offset of the data section)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    return header, meta, 8 + n


def load_safetensors(path: str) -> Dict[str, torch.Tensor]:
    entries, _meta, start = read_safetensors_header(path)
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read()
    out: Dict[str, torch.Tensor] = {}
    for name, e in entries.items():
        b, end = e["data_offsets"]
        if not (0 <= b <= end <= len(data)):
            raise ValueError(f"{path}: bad data_offsets for {name}")
        out[name] = _tensor_from_bytes(data[b:end], e["dtype"], e["shape"])
    return out


def save_sharded(directory: str, tensors: Dict[str, torch.Tensor], n_shards: int,
                 metadata: Optional[Dict[str, str]] = None) -> List[str]:
    """HF sharded layout: model-0000i-of-0000n.safetensors + model.safetensors.index.json.

    Tensors (sorted by name) are split into ``n_shards`` contiguous groups of
    roughly equal byte size. Returns the file names written.
    """
    names = sorted(tensors)
    sizes = {k: tensors[k].numel() * tensors[k].element_size() for k in names}
    total = sum(sizes.values())
    groups: List[List[str]] = [[] for _ in range(n_shards)]
    acc = 0
    for k in names:
        # index of the shard whose byte range contains the middle of this tensor
        i = min(n_shards - 1, int((acc + sizes[k] / 2) * n_shards // max(total, 1)))
        groups[i].append(k)
        acc += sizes[k]
    groups = [g for g in groups if g]
    n = len(groups)
    files: List[str] = []
    weight_map: Dict[str, str] = {}
    for i, g in enumerate(groups):
        fname = f"model-{i + 1:05d}-of-{n:05d}.safetensors"
        save_safetensors(os.path.join(directory, fname), {k: tensors[k] for k in g}, metadata)
        files.append(fname)
        for k in g:
            weight_map[k] = fname
    index = {"metadata": {"total_size": total},
             "weight_map": {k: weight_map[k] for k in sorted(weight_map)}}
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    return files


def load_model_weights(directory: str) -> Dict[str, torch.Tensor]:
    """All tensors of a HF model dir: model.safetensors, or the sharded index."""
    single = os.path.join(directory, "model.safetensors")
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(single):
        return load_safetensors(single)
    if os.path.exists(index):
        with open(index) as f:
            wm = json.load(f)["weight_map"]
        out: Dict[str, torch.Tensor] = {}
        for fname in sorted(set(wm.values())):
            part = load_safetensors(os.path.join(directory, fname))
            for k, v in part.items():
                if wm.get(k) == fname:
                    out[k] = v
        missing = [k for k in wm if k not in out]
        if missing:
            raise ValueError(f"{directory}: index names tensors missing from shards: {missing[:5]}")
        return out
    raise FileNotFoundError(f"{directory}: no model.safetensors or model.safetensors.index.json")


def load_config(directory: str) -> dict:
    with open(os.path.join(directory, "config.json")) as f:
        return json.load(f)


# ---------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------

def position_ids_from_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """HF generation convention: cumsum(mask) - 1, pad positions set to 1."""
    pos = attention_mask.long().cumsum(-1) - 1
    return pos.masked_fill(attention_mask == 0, 1)


def _attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float,
               attention_mask: Optional[torch.Tensor]) -> torch.Tensor:
    """Eager causal attention. q,k,v: (B, H, T, D). attention_mask: (B, T) of 0/1 or None.

    Masked scores are set to the dtype's most negative finite value (as HF does),
    so a fully masked row (a left-pad query) yields a uniform distribution, not NaN.
    """
    T = q.shape[-2]
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale
    allowed = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()[None, None]
    if attention_mask is not None:
        allowed = allowed & attention_mask.bool()[:, None, None, :]
    scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
    probs = torch.softmax(scores, dim=-1)
    return torch.matmul(probs, v)


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {
    "gelu_new": gelu_new,
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu": F.gelu,
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
}


class CausalLM(nn.Module):
    """Base: parameters kept in a ParameterDict under HF names ('.' -> '__')."""

    model_type = ""
    tied_head = False

    def __init__(self, config: dict, weights: Dict[str, torch.Tensor], dtype: torch.dtype = torch.float32):
        super().__init__()
        self.config = config
        self.dtype = dtype
        self._parse_config(config)
        expected = self.expected_shapes()
        weights = self.normalize_names(weights)
        missing = [k for k in expected if k not in weights]
        if missing:
            raise ValueError(f"{self.model_type}: missing weights {missing[:8]}")
        unexpected = [k for k in weights if k not in expected]
        if unexpected:
            raise ValueError(f"{self.model_type}: unexpected weights {unexpected[:8]}")
        self.weights = nn.ParameterDict()
        for name, shape in expected.items():
            t = weights[name]
            if tuple(t.shape) != tuple(shape):
                raise ValueError(f"{name}: shape {tuple(t.shape)}, expected {tuple(shape)}")
            self.weights[name.replace(".", "__")] = nn.Parameter(t.detach().to(dtype).clone())

    @classmethod
    def shapes_for(cls, config: dict) -> Dict[str, Tuple[int, ...]]:
        """HF parameter names and shapes that a checkpoint for ``config`` holds."""
        obj = cls.__new__(cls)
        obj._parse_config(config)
        return obj.expected_shapes()

    # subclasses -----------------------------------------------------------
    def _parse_config(self, c: dict) -> None:
        raise NotImplementedError

    def expected_shapes(self) -> Dict[str, Tuple[int, ...]]:
        raise NotImplementedError

    def normalize_names(self, weights: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        return dict(weights)

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None,
                position_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        raise NotImplementedError

    # helpers --------------------------------------------------------------
    def w(self, name: str) -> torch.Tensor:
        return self.weights[name.replace(".", "__")]

    def has(self, name: str) -> bool:
        return name.replace(".", "__") in self.weights

    def hf_parameters(self) -> List[Tuple[str, nn.Parameter]]:
        """(HF name, parameter) pairs, sorted by name."""
        return sorted(((k.replace("__", "."), p) for k, p in self.weights.items()), key=lambda x: x[0])

    def hf_state_dict(self) -> Dict[str, torch.Tensor]:
        return {k: p.detach() for k, p in self.hf_parameters()}

    def _prepare(self, input_ids, attention_mask, position_ids):
        if input_ids.dim() == 1:
            input_ids = input_ids[None]
        if attention_mask is not None and attention_mask.dim() == 1:
            attention_mask = attention_mask[None]
        if position_ids is None:
            if attention_mask is None:
                position_ids = torch.arange(input_ids.shape[1], device=input_ids.device)[None].expand_as(input_ids)
            else:
                position_ids = position_ids_from_mask(attention_mask)
        elif position_ids.dim() == 1:
            position_ids = position_ids[None]
        return input_ids, attention_mask, position_ids


class GPT2LMHeadModel(CausalLM):
    model_type = "gpt2"
    tied_head = True

    def _parse_config(self, c):
        self.n_embd = c["n_embd"]
        self.n_layer = c["n_layer"]
        self.n_head = c["n_head"]
        self.n_inner = c.get("n_inner") or 4 * self.n_embd
        self.vocab = c["vocab_size"]
        self.n_positions = c["n_positions"]
        self.eps = c.get("layer_norm_epsilon", 1e-5)
        self.act = ACTIVATIONS[c.get("activation_function", "gelu_new")]
        self.scale_attn_weights = c.get("scale_attn_weights", True)
        self.scale_by_layer = c.get("scale_attn_by_inverse_layer_idx", False)
        if not c.get("tie_word_embeddings", True):
            raise NotImplementedError("untied GPT-2 heads are not supported")

    def expected_shapes(self):
        C, I = self.n_embd, self.n_inner
        s = {"transformer.wte.weight": (self.vocab, C), "transformer.wpe.weight": (self.n_positions, C),
             "transformer.ln_f.weight": (C,), "transformer.ln_f.bias": (C,)}
        for i in range(self.n_layer):
            p = f"transformer.h.{i}."
            s.update({
                p + "ln_1.weight": (C,), p + "ln_1.bias": (C,),
                p + "attn.c_attn.weight": (C, 3 * C), p + "attn.c_attn.bias": (3 * C,),
                p + "attn.c_proj.weight": (C, C), p + "attn.c_proj.bias": (C,),
                p + "ln_2.weight": (C,), p + "ln_2.bias": (C,),
                p + "mlp.c_fc.weight": (C, I), p + "mlp.c_fc.bias": (I,),
                p + "mlp.c_proj.weight": (I, C), p + "mlp.c_proj.bias": (C,),
            })
        return s

    def normalize_names(self, weights):
        out = {}
        for k, v in weights.items():
            if k.endswith(".attn.bias") or k.endswith(".attn.masked_bias"):
                continue  # old checkpoints saved the causal-mask buffers
            if k == "lm_head.weight":
                continue  # tied to wte
            if not k.startswith("transformer."):
                k = "transformer." + k  # original OpenAI-style checkpoints have no prefix
            out[k] = v
        return out

    def _ln(self, x, name):
        return F.layer_norm(x, (self.n_embd,), self.w(name + ".weight"), self.w(name + ".bias"), self.eps)

    def _conv1d(self, x, name):  # HF Conv1D: y = x @ W + b, W (in, out)
        return torch.matmul(x, self.w(name + ".weight")) + self.w(name + ".bias")

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        input_ids, attention_mask, position_ids = self._prepare(input_ids, attention_mask, position_ids)
        B, T = input_ids.shape
        H, C = self.n_head, self.n_embd
        D = C // H
        h = F.embedding(input_ids, self.w("transformer.wte.weight")) + \
            F.embedding(position_ids, self.w("transformer.wpe.weight"))
        for i in range(self.n_layer):
            p = f"transformer.h.{i}."
            a = self._ln(h, p + "ln_1")
            qkv = self._conv1d(a, p + "attn.c_attn")
            q, k, v = qkv.split(C, dim=-1)
            q, k, v = (t.reshape(B, T, H, D).transpose(1, 2) for t in (q, k, v))
            scale = 1.0 / math.sqrt(D) if self.scale_attn_weights else 1.0
            if self.scale_by_layer:
                scale /= float(i + 1)
            o = _attention(q, k, v, scale, attention_mask)
            o = o.transpose(1, 2).reshape(B, T, C)
            h = h + self._conv1d(o, p + "attn.c_proj")
            m = self._ln(h, p + "ln_2")
            m = self._conv1d(self.act(self._conv1d(m, p + "mlp.c_fc")), p + "mlp.c_proj")
            h = h + m
        h = self._ln(h, "transformer.ln_f")
        return torch.matmul(h, self.w("transformer.wte.weight").t())


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


class LlamaForCausalLM(CausalLM):
    model_type = "llama"
    qkv_bias_default = False  # config attention_bias
    o_bias_follows_attention_bias = True

    def _parse_config(self, c):
        self.hidden = c["hidden_size"]
        self.n_layer = c["num_hidden_layers"]
        self.n_head = c["num_attention_heads"]
        self.n_kv = c.get("num_key_value_heads") or self.n_head
        self.head_dim = c.get("head_dim") or self.hidden // self.n_head
        self.inter = c["intermediate_size"]
        self.vocab = c["vocab_size"]
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.theta = float(c.get("rope_theta", 10000.0))
        self.act = ACTIVATIONS[c.get("hidden_act", "silu")]
        self.tied_head = bool(c.get("tie_word_embeddings", False))
        self.qkv_bias, self.o_bias = self.bias_flags(c)
        self.mlp_bias = bool(c.get("mlp_bias", False))
        rs = c.get("rope_scaling")
        if rs and (rs.get("rope_type") or rs.get("type")) not in (None, "default"):
            raise NotImplementedError(f"rope_scaling {rs} is not supported")
        if self.n_head % self.n_kv:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")

    @staticmethod
    def bias_flags(c):
        b = bool(c.get("attention_bias", False))
        return b, b

    def expected_shapes(self):
        C, I, V = self.hidden, self.inter, self.vocab
        Dq, Dkv = self.n_head * self.head_dim, self.n_kv * self.head_dim
        s = {"model.embed_tokens.weight": (V, C), "model.norm.weight": (C,)}
        if not self.tied_head:
            s["lm_head.weight"] = (V, C)
        for i in range(self.n_layer):
            p = f"model.layers.{i}."
            s.update({
                p + "input_layernorm.weight": (C,),
                p + "self_attn.q_proj.weight": (Dq, C),
                p + "self_attn.k_proj.weight": (Dkv, C),
                p + "self_attn.v_proj.weight": (Dkv, C),
                p + "self_attn.o_proj.weight": (C, Dq),
                p + "post_attention_layernorm.weight": (C,),
                p + "mlp.gate_proj.weight": (I, C),
                p + "mlp.up_proj.weight": (I, C),
                p + "mlp.down_proj.weight": (C, I),
            })
            if self.qkv_bias:
                s.update({p + "self_attn.q_proj.bias": (Dq,), p + "self_attn.k_proj.bias": (Dkv,),
                          p + "self_attn.v_proj.bias": (Dkv,)})
            if self.o_bias:
                s[p + "self_attn.o_proj.bias"] = (C,)
            if self.mlp_bias:
                s.update({p + "mlp.gate_proj.bias": (I,), p + "mlp.up_proj.bias": (I,),
                          p + "mlp.down_proj.bias": (C,)})
        return s

    def normalize_names(self, weights):
        out = {}
        for k, v in weights.items():
            if k.endswith("rotary_emb.inv_freq"):
                continue  # a buffer some old checkpoints saved
            if k == "lm_head.weight" and self.tied_head:
                continue
            out[k] = v
        return out

    def _linear(self, x, name):
        b = self.w(name + ".bias") if self.has(name + ".bias") else None
        return F.linear(x, self.w(name + ".weight"), b)

    def _rms(self, x, name):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.w(name + ".weight") * (x * torch.rsqrt(var + self.eps))

    def rope(self, position_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """cos, sin of shape (B, T, head_dim), computed in the model dtype."""
        D = self.head_dim
        dt = self.dtype if self.dtype in (torch.float32, torch.float64) else torch.float32
        inv_freq = 1.0 / (self.theta ** (torch.arange(0, D, 2, dtype=torch.int64).to(dt) / D))
        freqs = position_ids.to(dt)[..., None] * inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(self.dtype), emb.sin().to(self.dtype)

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        input_ids, attention_mask, position_ids = self._prepare(input_ids, attention_mask, position_ids)
        B, T = input_ids.shape
        H, KV, D = self.n_head, self.n_kv, self.head_dim
        rep = H // KV
        cos, sin = self.rope(position_ids)
        cos, sin = cos[:, None], sin[:, None]  # (B, 1, T, D)
        h = F.embedding(input_ids, self.w("model.embed_tokens.weight"))
        scale = 1.0 / math.sqrt(D)
        for i in range(self.n_layer):
            p = f"model.layers.{i}."
            a = self._rms(h, p + "input_layernorm")
            q = self._linear(a, p + "self_attn.q_proj").reshape(B, T, H, D).transpose(1, 2)
            k = self._linear(a, p + "self_attn.k_proj").reshape(B, T, KV, D).transpose(1, 2)
            v = self._linear(a, p + "self_attn.v_proj").reshape(B, T, KV, D).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if rep > 1:  # HF repeat_kv: kv head j serves query heads j*rep .. j*rep+rep-1
                k = k.repeat_interleave(rep, dim=1)
                v = v.repeat_interleave(rep, dim=1)
            o = _attention(q, k, v, scale, attention_mask)
            o = o.transpose(1, 2).reshape(B, T, H * D)
            h = h + self._linear(o, p + "self_attn.o_proj")
            m = self._rms(h, p + "post_attention_layernorm")
            m = self._linear(self.act(self._linear(m, p + "mlp.gate_proj")) * self._linear(m, p + "mlp.up_proj"),
                             p + "mlp.down_proj")
            h = h + m
        h = self._rms(h, "model.norm")
        head = self.w("model.embed_tokens.weight") if self.tied_head else self.w("lm_head.weight")
        return F.linear(h, head)


class Qwen2ForCausalLM(LlamaForCausalLM):
    model_type = "qwen2"

    @staticmethod
    def bias_flags(c):
        return True, False  # q,k,v always biased; o_proj never


MODEL_CLASSES = {
    "gpt2": GPT2LMHeadModel,
    "llama": LlamaForCausalLM,
    "qwen2": Qwen2ForCausalLM,
}


def build_model(config: dict, weights: Dict[str, torch.Tensor], dtype: torch.dtype = torch.float32) -> CausalLM:
    mt = config.get("model_type")
    if mt not in MODEL_CLASSES:
        raise ValueError(f"unsupported model_type {mt!r}")
    return MODEL_CLASSES[mt](config, weights, dtype)


def load_model(directory: str, dtype: torch.dtype = torch.float32) -> CausalLM:
    return build_model(load_config(directory), load_model_weights(directory), dtype)


# ---------------------------------------------------------------------------
# log-probs
# ---------------------------------------------------------------------------

def truncate_pair(chosen: Sequence[int], rejected: Sequence[int], truncation: str) -> Tuple[List[int], List[int]]:
    """'none': unchanged; 'poet': both completions cut to min(len(chosen), len(rejected))."""
    chosen, rejected = list(chosen), list(rejected)
    if truncation == "none":
        return chosen, rejected
    if truncation == "poet":
        k = min(len(chosen), len(rejected))
        return chosen[:k], rejected[:k]
    raise ValueError(f"unknown truncation {truncation!r}")


def sequence_logps(model: CausalLM, prompt: Sequence[int], completion: Sequence[int]) -> Tuple[torch.Tensor, int]:
    """Sum of completion-token log-probs for one unpadded prompt+completion.

    Completion token t at position p is scored by log_softmax(logits[p-1])[t].
    Returns (scalar tensor in the model dtype, with grad if enabled; number of tokens).
    """
    prompt, completion = list(prompt), list(completion)
    if not prompt:
        raise ValueError("empty prompt: the first completion token would have no context")
    if not completion:
        raise ValueError("empty completion")
    ids = torch.tensor(prompt + completion, dtype=torch.long)
    logits = model(ids)[0]  # (T, V)
    P = len(prompt)
    lp = torch.log_softmax(logits[P - 1:-1], dim=-1)
    tgt = ids[P:]
    return lp.gather(-1, tgt[:, None]).squeeze(-1).sum(), len(completion)


def pair_logps(model: CausalLM, prompt, chosen, rejected, truncation: str = "none"):
    """((chosen_logps, chosen_tokens), (rejected_logps, rejected_tokens)) for one pair."""
    c, r = truncate_pair(chosen, rejected, truncation)
    return sequence_logps(model, prompt, c), sequence_logps(model, prompt, r)


def pad_batch(prompts: Sequence[Sequence[int]], completions: Sequence[Sequence[int]],
              padding_side: str = "right", pad_id: int = 0):
    """Batch prompt+completion sequences. Returns (input_ids, attention_mask, loss_mask) (B, T).

    loss_mask[b, p] is 1 where input_ids[b, p] is a completion token (scored by logits[b, p-1]).
    """
    seqs = [list(p) + list(c) for p, c in zip(prompts, completions)]
    T = max(len(s) for s in seqs)
    B = len(seqs)
    ids = torch.full((B, T), pad_id, dtype=torch.long)
    mask = torch.zeros((B, T), dtype=torch.long)
    lmask = torch.zeros((B, T), dtype=torch.bool)
    for b, (s, p) in enumerate(zip(seqs, prompts)):
        off = 0 if padding_side == "right" else T - len(s)
        ids[b, off:off + len(s)] = torch.tensor(s, dtype=torch.long)
        mask[b, off:off + len(s)] = 1
        lmask[b, off + len(p):off + len(s)] = True
    return ids, mask, lmask


def batch_logps(model: CausalLM, prompts, completions, padding_side: str = "right") -> Tuple[torch.Tensor, torch.Tensor]:
    """Per-sequence completion log-prob sums (B,) and token counts (B,) from one padded forward."""
    ids, mask, lmask = pad_batch(prompts, completions, padding_side)
    logits = model(ids, attention_mask=mask)
    lp = torch.log_softmax(logits[:, :-1], dim=-1)
    tgt = ids[:, 1:]
    tok = lp.gather(-1, tgt[..., None]).squeeze(-1)
    m = lmask[:, 1:]
    tok = torch.where(m, tok, torch.zeros((), dtype=tok.dtype))
    return tok.sum(-1), m.sum(-1)


def read_pairs(path: str) -> List[dict]:
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out
