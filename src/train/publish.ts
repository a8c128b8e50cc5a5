// The end of a training run: the final model goes into OUT in Hugging Face layout without ever leaving OUT with a
// half-written model. Files are written into a temporary folder inside OUT, then renamed into OUT one by one (each
// rename atomic); model shards the new model no longer has are removed first. Shared by every trainer.
import { existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../atomic-write.js";
import { copyAuxiliaryFiles, saveModel } from "../models/load.js";
import type { CausalLM } from "../models/model.js";
import type { SafeDType } from "../models/safetensors.js";

export interface PublishOptions {
  /** Weight dtype on disk (default F32). */
  dtype?: SafeDType;
  /** generation_config.json to write when `auxFrom` has none (a new model's special tokens). */
  generationConfig?: Record<string, unknown> | null;
}

/** Saves `model` into `outDir` with the tokenizer and generation files of `auxFrom`. */
export function publishModel(model: CausalLM, outDir: string, auxFrom: string, o: PublishOptions = {}): void {
  const tmp = join(outDir, `.tmp-final-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  saveModel(model, tmp, o.dtype ? { dtype: o.dtype } : {});
  copyAuxiliaryFiles(auxFrom, tmp);
  if (o.generationConfig && !existsSync(join(tmp, "generation_config.json")))
    writeFileAtomic(join(tmp, "generation_config.json"), JSON.stringify(o.generationConfig, null, 2) + "\n");
  const fresh = new Set(readdirSync(tmp));
  for (const f of readdirSync(outDir))
    if (!fresh.has(f) && /^model(-\d+-of-\d+)?\.safetensors$|^model\.safetensors\.index\.json$/.test(f)) rmSync(join(outDir, f));
  for (const f of fresh) renameSync(join(tmp, f), join(outDir, f));
  rmSync(tmp, { recursive: true, force: true });
}
