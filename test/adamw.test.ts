// AdamW against its closed form (torch.optim.AdamW) over three steps, on both backends.
import assert from "node:assert/strict";
import { test } from "node:test";
import { nativeBackend } from "../src/engine/backends/native.js";
import { portableBackend } from "../src/engine/backends/portable.js";
import type { Backend } from "../src/engine/kernels.js";
import { Tensor } from "../src/engine/tensor.js";
import { AdamW } from "../src/train/adamw.js";

const native = nativeBackend();
const cases: [string, Backend | null, number][] = [["portable float64", portableBackend("float64"), 1e-12], ["native", native, 1e-6]];

for (const [name, b, tol] of cases) {
  test(`AdamW matches the closed form for three steps (${name})`, { skip: b ? false : "native addon not built" }, () => {
    const w0 = [0.5, -1.25, 2, 0], grads = [[0.1, -0.2, 0.3, 0], [0.05, 0.4, -0.3, 1e-3], [-0.2, 0.1, 0.0, 2]];
    const cfg = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 };
    const p = new Tensor(b!, b!.from(w0), [4], true);
    const opt = new AdamW([p], cfg);
    const w = [...w0], m = [0, 0, 0, 0], v = [0, 0, 0, 0];
    grads.forEach((g, s) => {
      const lr = cfg.lr * (s + 1) / 3; // a changing (scheduled) rate
      p.grad = b!.from(g);
      opt.update(lr);
      const t = s + 1;
      for (let i = 0; i < 4; i++) {
        w[i] = w[i]! * (1 - lr * cfg.weightDecay);
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.99 * v[i]! + 0.01 * g[i]! ** 2;
        const mh = m[i]! / (1 - 0.9 ** t), vh = v[i]! / (1 - 0.99 ** t);
        w[i] = w[i]! - (lr * mh) / (Math.sqrt(vh) + cfg.eps);
      }
      for (let i = 0; i < 4; i++) assert.ok(Math.abs(p.data[i]! - w[i]!) <= tol * Math.max(1, Math.abs(w[i]!)), `step ${t} w[${i}]: ${p.data[i]} vs ${w[i]}`);
    });
  });
}
