// The op table: every differentiable op of the engine. Tests key their gradient checks by `OpName`, so an op
// added here without a check fails to compile.
import { add } from "./add.js";
import { attention } from "./attention.js";
import { embedding } from "./embedding.js";
import { gatherRows } from "./gather-rows.js";
import { gelu } from "./gelu.js";
import { layernorm } from "./layernorm.js";
import { linear } from "./linear.js";
import { rmsnorm } from "./rmsnorm.js";
import { rope } from "./rope.js";
import { swiglu } from "./swiglu.js";
import { tokenLogprobs } from "./token-logprobs.js";

export const ops = { add, attention, embedding, gatherRows, gelu, layernorm, linear, rmsnorm, rope, swiglu, tokenLogprobs };
export type OpName = keyof typeof ops;
export { add, attention, embedding, gatherRows, gelu, layernorm, linear, rmsnorm, rope, swiglu, tokenLogprobs };
export type { Segments, AttentionShape } from "./attention.js";
export { ropeTable, ropeInvFreq, type RopeTable } from "./rope.js";
