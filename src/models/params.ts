// Where an architecture's parameters come from: a checkpoint's tensors (shapes checked, GPT-2's Conv1D weights
// transposed into the engine's (out, in) layout) or a seeded random initialisation for new models.
import type { Backend, Buf } from "../engine/kernels.js";
import { mulberry32 } from "../engine/random.js";
import { Tensor } from "../engine/tensor.js";
import { UserError } from "../errors.js";
import type { Param } from "./model.js";
import type { SafeTensor } from "./safetensors.js";

export interface ParamSpec {
  /** Shape as Hugging Face stores it. */
  shape: readonly number[];
  /** Stored (in, out) while the engine wants (out, in). */
  transposed?: boolean;
  /** How a fresh model initialises it. */
  init: "normal" | "ones" | "zeros";
}

export interface ParamSource {
  /** The parameter stored under `name` (or one of its accepted `aliases`), in the engine's layout. */
  take(name: string, spec: ParamSpec, aliases?: readonly string[]): Param;
  /** True when the source holds a tensor of that name (e.g. an untied lm_head). */
  has(name: string): boolean;
}

export function transpose2d(b: Backend, src: Buf, rows: number, cols: number): Buf {
  const out = b.alloc(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = src[i * cols + j]!;
  return out;
}

function engineShape(spec: ParamSpec): number[] {
  return spec.transposed ? [spec.shape[1]!, spec.shape[0]!] : [...spec.shape];
}

/** Parameters from a loaded checkpoint; errors name the checkpoint and the tensor. */
export class CheckpointParams implements ParamSource {
  private readonly used = new Set<string>();

  constructor(
    private readonly where: string,
    private readonly tensors: Map<string, SafeTensor>,
    private readonly backend: Backend,
  ) {}

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  take(name: string, spec: ParamSpec, aliases: readonly string[] = []): Param {
    const key = [name, ...aliases].find((n) => this.tensors.has(n));
    if (key === undefined)
      throw new UserError(`${this.where}: weight "${name}" is missing: the checkpoint does not match its config.json (or is incomplete)`);
    const st = this.tensors.get(key)!;
    if (st.shape.length !== spec.shape.length || st.shape.some((d, i) => d !== spec.shape[i]))
      throw new UserError(`${this.where}: weight "${key}" has shape [${st.shape}], config.json implies [${spec.shape}]`);
    this.used.add(key);
    let data: Buf = st.data.constructor === (this.backend.dtype === "float64" ? Float64Array : Float32Array)
      ? st.data : this.backend.from(st.data);
    if (spec.transposed) data = transpose2d(this.backend, data, spec.shape[0]!, spec.shape[1]!);
    return { t: new Tensor(this.backend, data, engineShape(spec)), transposed: spec.transposed ?? false };
  }

  /** Tensors in the checkpoint that no parameter used (buffers such as rotary inv_freq are expected here). */
  unused(): string[] {
    return [...this.tensors.keys()].filter((k) => !this.used.has(k));
  }
}

/** Fresh parameters: normal(0, std) weights, ones for norm scales, zeros for biases; seeded. */
export class RandomParams implements ParamSource {
  private readonly u: () => number;

  constructor(
    private readonly backend: Backend,
    seed: number,
    private readonly std = 0.02,
  ) {
    this.u = mulberry32(seed);
  }

  has(): boolean {
    return false;
  }

  /** Uniform in (0, 1): never 0, so log() below stays finite. */
  private uniform(): number {
    return this.u() + 0.5 / 4294967296;
  }

  take(_name: string, spec: ParamSpec): Param {
    const shape = engineShape(spec);
    const t = Tensor.zeros(this.backend, shape);
    if (spec.init === "ones") t.data.fill(1);
    else if (spec.init === "normal")
      for (let i = 0; i < t.size; i++) // Box-Muller
        t.data[i] = this.std * Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
    return { t, transposed: spec.transposed ?? false };
  }
}
