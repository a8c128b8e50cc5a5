// One small case per op of the engine, shared by the float64 finite-difference gradient checks and the
// native-vs-portable kernel comparison. `OpName`-keyed, so an op without a case does not compile.
import type { Backend } from "../src/engine/kernels.js";
import { mulberry32 } from "../src/engine/random.js";
import { ops, ropeInvFreq, ropeTable, type OpName, type Segments } from "../src/engine/ops/index.js";
import type { Tape } from "../src/engine/tape.js";
import { Tensor } from "../src/engine/tensor.js";

/** Seeded, so every backend sees the same numbers. */
export const rng = mulberry32;

export interface OpCase {
  /** Differentiable inputs (gradients are checked for each). */
  inputs: Tensor[];
  run: (tape: Tape) => Tensor;
}

type CaseBuilder = (b: Backend) => OpCase;

function param(b: Backend, shape: number[], r: () => number, scale = 1, shift = 0): Tensor {
  const n = shape.reduce((x, y) => x * y, 1);
  return new Tensor(b, b.from(Array.from({ length: n }, () => shift + scale * (2 * r() - 1))), shape, true);
}

const seg: Segments = { cu: Int32Array.from([0, 3, 8]), nseq: 2 };
const pos = Int32Array.from([0, 1, 2, 0, 1, 2, 3, 4]);

export const opCases: { [K in OpName]: CaseBuilder[] } = {
  add: [(b) => {
    const r = rng(1), x = param(b, [3, 4], r), y = param(b, [3, 4], r);
    return { inputs: [x, y], run: (t) => ops.add(t, x, y) };
  }],
  attention: [
    // fused qkv buffer (N, (H + 2G) D) like GPT-2's c_attn, grouped KV heads
    (b) => {
      const r = rng(2), H = 4, G = 2, D = 4, W = (H + 2 * G) * D;
      const qkv = param(b, [8, W], r);
      return {
        inputs: [qkv],
        run: (t) => ops.attention(t, { t: qkv, off: 0, ld: W }, { t: qkv, off: H * D, ld: W },
          { t: qkv, off: (H + G) * D, ld: W }, seg, { H, G, D, scale: 1 / Math.sqrt(D), window: 0 }),
      };
    },
    // separate q, k, v with a sliding window of 2
    (b) => {
      const r = rng(3), H = 2, G = 1, D = 4;
      const q = param(b, [8, H * D], r), k = param(b, [8, G * D], r), v = param(b, [8, G * D], r);
      return {
        inputs: [q, k, v],
        run: (t) => ops.attention(t, { t: q, off: 0, ld: H * D }, { t: k, off: 0, ld: G * D }, { t: v, off: 0, ld: G * D },
          seg, { H, G, D, scale: 0.7, window: 2 }),
      };
    },
  ],
  embedding: [(b) => {
    const r = rng(4), W = param(b, [7, 3], r);
    return { inputs: [W], run: (t) => ops.embedding(t, Int32Array.from([1, 4, 1, 6, 0]), W) };
  }],
  gatherRows: [(b) => {
    const r = rng(5), x = param(b, [6, 3], r);
    return { inputs: [x], run: (t) => ops.gatherRows(t, x, Int32Array.from([5, 1, 1, 3])) };
  }],
  gelu: [(b) => {
    const r = rng(6), x = param(b, [4, 5], r, 3);
    return { inputs: [x], run: (t) => ops.gelu(t, x) };
  }],
  layernorm: [
    (b) => {
      const r = rng(7), x = param(b, [5, 6], r, 2), w = param(b, [6], r, 0.5, 1), bias = param(b, [6], r);
      return { inputs: [x, w, bias], run: (t) => ops.layernorm(t, x, w, bias, 1e-5) };
    },
    (b) => {
      const r = rng(8), x = param(b, [3, 4], r, 2), w = param(b, [4], r, 0.5, 1);
      return { inputs: [x, w], run: (t) => ops.layernorm(t, x, w, null, 1e-5) };
    },
  ],
  linear: [
    (b) => {
      const r = rng(9), x = param(b, [5, 4], r), W = param(b, [3, 4], r), bias = param(b, [3], r);
      return { inputs: [x, W, bias], run: (t) => ops.linear(t, x, W, bias) };
    },
    (b) => {
      const r = rng(10), x = param(b, [2, 3], r), W = param(b, [6, 3], r);
      return { inputs: [x, W], run: (t) => ops.linear(t, x, W, null) };
    },
  ],
  rmsnorm: [(b) => {
    const r = rng(11), x = param(b, [5, 6], r, 2), w = param(b, [6], r, 0.5, 1);
    return { inputs: [x, w], run: (t) => ops.rmsnorm(t, x, w, 1e-6) };
  }],
  rope: [(b) => {
    const r = rng(12), x = param(b, [8, 2 * 6], r);
    const table = ropeTable(b, ropeInvFreq(6, 10000), 16);
    return { inputs: [x], run: (t) => ops.rope(t, x, 2, 6, table, Int32Array.from([0, 1, 2, 0, 1, 2, 9, 15])) };
  }],
  swiglu: [(b) => {
    const r = rng(13), g = param(b, [4, 5], r, 3), u = param(b, [4, 5], r);
    return { inputs: [g, u], run: (t) => ops.swiglu(t, g, u) };
  }],
  tokenLogprobs: [(b) => {
    const r = rng(14), h = param(b, [5, 4], r), W = param(b, [11, 4], r, 2);
    return { inputs: [h, W], run: (t) => ops.tokenLogprobs(t, h, W, Int32Array.from([0, 10, 3, 3, 7])) };
  }],
};

export { pos, seg };
