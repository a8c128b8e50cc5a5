// Text generation with a KV cache: prompts are prefilled packed (no padding), then every step feeds one token per
// sequence and attends to that sequence's cached keys and values. Greedy (temperature 0) or sampled with
// temperature, top-k and top-p (Hugging Face's order), seeded; stops at EOS or max_new_tokens. Inference only.
import type { Buf } from "../engine/kernels.js";
import { ops } from "../engine/ops/index.js";
import { mulberry32 } from "../engine/random.js";
import { Tape } from "../engine/tape.js";
import { Tensor, type View } from "../engine/tensor.js";
import { UserError } from "../errors.js";
import type { Attend, CausalLM, PackedBatch } from "../models/model.js";

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0: greedy (argmax, lowest id on ties, like torch.argmax). */
  temperature: number;
  /** Keep the smallest set of tokens whose probability reaches top_p (1: off). */
  topP: number;
  /** Keep the k most likely tokens (0: off). */
  topK: number;
  seed: number;
  /** Generation stops for a sequence once it emits one of these (the EOS is kept in its completion). */
  eosIds: readonly number[];
  /** Prompts decoded together (default 16). */
  batchSize?: number;
}

/** Per layer, keys and values of B sequences: (B, maxLen, G * D) each. */
class KVCache {
  readonly k: Buf[] = [];
  readonly v: Buf[] = [];
  readonly lens: Int32Array;

  constructor(model: CausalLM, readonly B: number, readonly maxLen: number) {
    const w = model.attentionShape.G * model.attentionShape.D;
    for (let l = 0; l < model.numLayers; l++) {
      this.k.push(model.backend.alloc(B * maxLen * w));
      this.v.push(model.backend.alloc(B * maxLen * w));
    }
    this.lens = new Int32Array(B);
  }

  get width(): number {
    return this.k[0]!.length / (this.B * this.maxLen);
  }

  /** Copies row `row` of a k or v view into sequence b's slot `at`. */
  put(dst: Buf, b: number, at: number, src: View, row: number): void {
    const w = this.width, o = src.off + row * src.ld;
    dst.set(src.t.data.subarray(o, o + w), (b * this.maxLen + at) * w);
  }
}

function argmax(row: Buf, V: number, o: number): number {
  let best = 0, bv = -Infinity;
  for (let j = 0; j < V; j++) if (row[o + j]! > bv) [best, bv] = [j, row[o + j]!];
  return best;
}

const SORT_SHIFT = 2 ** 20; // token ids < 2^20 fit beside a 32-bit sort key in a float64's 53-bit mantissa
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);

/**
 * The token ids `ids` of logits row `o` from most to least likely (ties: lower id first), by one native sort of a
 * Float64Array whose entries pack a descending order key of each float32 logit with its id: no comparator.
 */
function idsByLogit(row: Buf, o: number, ids: ArrayLike<number>): Int32Array {
  const keys = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const j = ids[i]!;
    f32[0] = row[o + j]!;
    const bits = u32[0]!; // float32 bits -> an unsigned key that orders like the float, then flipped (descending)
    const asc = bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
    keys[i] = (0xffffffff - asc) * SORT_SHIFT + j;
  }
  keys.sort();
  return Int32Array.from(keys, (k) => k % SORT_SHIFT);
}

/**
 * For top-p alone: the tokens that can be in the nucleus, without sorting the vocabulary. Every token with
 * probability >= eps is more likely than every other, so once those reach top_p in mass the nucleus is among them.
 */
function nucleusCandidates(row: Buf, V: number, o: number, invT: number, topP: number): { ids: Int32Array; z: number } {
  let mx = -Infinity;
  for (let j = 0; j < V; j++) mx = Math.max(mx, row[o + j]!);
  const p = new Float64Array(V);
  let z = 0;
  for (let j = 0; j < V; j++) z += p[j] = Math.exp((row[o + j]! - mx) * invT);
  const ids = new Int32Array(V);
  for (const eps of [1e-3, 1e-5, 1e-7, 0]) {
    let n = 0, mass = 0;
    for (let j = 0; j < V; j++) if (p[j]! >= eps * z) {
      ids[n++] = j;
      mass += p[j]!;
    }
    if (mass >= topP * z || eps === 0) return { ids: ids.subarray(0, n), z };
  }
  throw new Error("unreachable");
}

/**
 * Samples one token from logits row `o` with temperature, top-k, top-p (Hugging Face's warper order). Without
 * top-k or top-p no order is needed: one pass over the vocabulary (the demo's sampling was a sort per token).
 */
export function sampleToken(row: Buf, V: number, o: number, opt: GenerateOptions, u: () => number): number {
  if (opt.temperature === 0) return argmax(row, V, o);
  const invT = 1 / opt.temperature;
  if (opt.topK <= 0 && opt.topP >= 1) {
    let mx = -Infinity;
    for (let j = 0; j < V; j++) mx = Math.max(mx, row[o + j]!);
    const p = new Float64Array(V);
    let z = 0;
    for (let j = 0; j < V; j++) z += p[j] = Math.exp((row[o + j]! - mx) * invT);
    let r = u() * z, last = 0;
    for (let j = 0; j < V; j++) {
      if (p[j]! === 0) continue;
      last = j;
      r -= p[j]!;
      if (r <= 0) return j;
    }
    return last;
  }
  let idx: Int32Array, zAll: number | null = null;
  if (V > SORT_SHIFT) idx = Int32Array.from({ length: V }, (_, j) => j).sort((a, b) => row[o + b]! - row[o + a]! || a - b);
  else if (opt.topK > 0) idx = idsByLogit(row, o, Int32Array.from({ length: V }, (_, j) => j));
  else {
    const c = nucleusCandidates(row, V, o, invT, opt.topP);
    idx = idsByLogit(row, o, c.ids);
    zAll = c.z; // the nucleus is cut by mass over the whole vocabulary, not over the candidates
  }
  const keep = opt.topK > 0 ? Math.min(opt.topK, V) : idx.length;
  const top = row[o + idx[0]!]! * invT;
  const p = new Float64Array(keep);
  let z = 0;
  for (let i = 0; i < keep; i++) z += p[i] = Math.exp(row[o + idx[i]!]! * invT - top);
  if (zAll !== null) z = zAll;
  let n = keep;
  if (opt.topP < 1) {
    // drop tokens once the probability mass before them already reaches top_p (at least one stays)
    let c = 0;
    for (let i = 0; i < keep; i++) {
      if (i > 0 && c >= opt.topP) {
        n = i;
        break;
      }
      c += p[i]! / z;
    }
  }
  let zn = 0;
  for (let i = 0; i < n; i++) zn += p[i]!;
  let r = u() * zn;
  for (let i = 0; i < n; i++) {
    r -= p[i]!;
    if (r <= 0) return idx[i]!;
  }
  return idx[n - 1]!;
}

/** Logits (B, V) of the last row of each sequence. */
function lastLogits(model: CausalLM, tape: Tape, h: Tensor, rows: Int32Array): Tensor {
  return ops.linear(tape, model.finalNorm(tape, ops.gatherRows(tape, h, rows)), model.head(), null);
}

function generateBatch(model: CausalLM, prompts: readonly (readonly number[])[], opt: GenerateOptions, u: () => number): number[][] {
  const B = prompts.length, s = model.attentionShape;
  const longest = Math.max(...prompts.map((p) => p.length));
  const cache = new KVCache(model, B, longest + opt.maxNewTokens);
  const tape = new Tape(model.backend, false);
  const eos = new Set(opt.eosIds);

  // prefill: the prompts packed, attention as in training; keys and values kept
  const N = prompts.reduce((a, p) => a + p.length, 0);
  const ids = new Int32Array(N), pos = new Int32Array(N), cu = new Int32Array(B + 1);
  prompts.forEach((p, b) => {
    ids.set(p, cu[b]!);
    for (let t = 0; t < p.length; t++) pos[cu[b]! + t] = t;
    cu[b + 1] = cu[b]! + p.length;
  });
  const pre: PackedBatch = { ids, pos, seg: { cu, nseq: B } };
  const prefill: Attend = (l, q, k, v) => {
    for (let b = 0; b < B; b++)
      for (let t = 0; t < prompts[b]!.length; t++) {
        cache.put(cache.k[l]!, b, t, k, cu[b]! + t);
        cache.put(cache.v[l]!, b, t, v, cu[b]! + t);
      }
    return ops.attention(tape, q, k, v, pre.seg, s);
  };
  let logits = lastLogits(model, tape, model.hidden(tape, pre, prefill), cu.subarray(1).map((x) => x - 1));
  prompts.forEach((p, b) => (cache.lens[b] = p.length));

  const out: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  const V = model.vocabSize;
  for (let step = 0; step < opt.maxNewTokens; step++) {
    const next = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      if (done[b]) continue;
      next[b] = sampleToken(logits.data, V, b * V, opt, u);
      out[b]!.push(next[b]!);
      if (eos.has(next[b]!)) done[b] = true;
    }
    if (done.every(Boolean) || step === opt.maxNewTokens - 1) break;
    // one token per sequence (finished ones run along with a dummy token; their output is ignored)
    const dpos = Int32Array.from(cache.lens);
    const lensAfter = Int32Array.from(cache.lens, (x) => x + 1);
    const step1: PackedBatch = { ids: next, pos: dpos, seg: { cu: Int32Array.from({ length: B + 1 }, (_, i) => i), nseq: B } };
    const decode: Attend = (l, q, k, v) => {
      for (let b = 0; b < B; b++) {
        cache.put(cache.k[l]!, b, dpos[b]!, k, b);
        cache.put(cache.v[l]!, b, dpos[b]!, v, b);
      }
      const o = Tensor.zeros(model.backend, [B, s.H * s.D]);
      model.backend.kernels.attentionCached(o.data, q.t.data.subarray(q.off), q.ld, cache.k[l]!, cache.v[l]!, cache.width,
        cache.maxLen * cache.width, lensAfter, B, s.H, s.G, s.D, s.scale, s.window);
      return o;
    };
    const h = model.hidden(tape, step1, decode);
    cache.lens.set(lensAfter);
    logits = lastLogits(model, tape, h, Int32Array.from({ length: B }, (_, i) => i));
  }
  return out;
}

/** Completions (token ids after the prompt, EOS included when emitted) for each prompt, in order. */
export function generate(model: CausalLM, prompts: readonly (readonly number[])[], opt: GenerateOptions): number[][] {
  for (const [i, p] of prompts.entries()) {
    if (p.length === 0) throw new UserError(`prompt ${i + 1} is empty: generation needs at least one token (e.g. BOS)`);
    if (model.maxPositions !== null && p.length + opt.maxNewTokens > model.maxPositions)
      throw new UserError(`prompt ${i + 1}: ${p.length} tokens + ${opt.maxNewTokens} new exceed the model's ${model.maxPositions} positions; lower --max-new-tokens`);
  }
  const u = mulberry32(opt.seed);
  const bs = opt.batchSize ?? 16, out: number[][] = [];
  for (let i = 0; i < prompts.length; i += bs) out.push(...generateBatch(model, prompts.slice(i, i + bs), opt, u));
  return out;
}
