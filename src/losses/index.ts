// The loss table: one entry per LossName, each with RPO's optional NLL term attached. Adding a LossName to
// types.ts without an entry here is a compile error.

import type { LossDef } from "./def.js";
import { dpo } from "./dpo.js";
import { hinge } from "./hinge.js";
import { ipo } from "./ipo.js";
import { orpo } from "./orpo.js";
import { withRpo } from "./rpo.js";
import { simpo } from "./simpo.js";
import type { LossName } from "./types.js";

export const losses: { readonly [K in LossName]: LossDef } = {
  dpo: withRpo(dpo),
  ipo: withRpo(ipo),
  hinge: withRpo(hinge),
  simpo: withRpo(simpo),
  orpo: withRpo(orpo),
};

/** The names, in table order, for --help and config validation. */
export const lossNames = Object.keys(losses) as LossName[];

export type { LossDef, LossHyperparameter } from "./def.js";
export type { LossConfig, LossInput, LossName, LossResult, SequenceLogps } from "./types.js";
