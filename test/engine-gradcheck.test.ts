// Finite-difference gradient checks of every op, in float64 on the portable backend: for L = sum(r * op(x)) with
// a fixed random r, the tape's dL/dx must match (L(x + e) - L(x - e)) / 2e for every input element.
import assert from "node:assert/strict";
import { test } from "node:test";
import { portableBackend } from "../src/engine/backends/portable.js";
import { Tape } from "../src/engine/tape.js";
import { opCases, rng } from "./op-cases.js";

const b = portableBackend("float64");

for (const [name, builders] of Object.entries(opCases)) {
  builders.forEach((build, ci) => {
    test(`gradcheck ${name} #${ci}`, () => {
      const c = build(b);
      const out0 = c.run(new Tape(b, false));
      const r = rng(99);
      const proj = Float64Array.from({ length: out0.size }, () => 2 * r() - 1);
      const loss = () => {
        const o = c.run(new Tape(b, false)).data;
        let s = 0;
        for (let i = 0; i < o.length; i++) s += proj[i]! * o[i]!;
        return s;
      };
      const tape = new Tape(b, true);
      const out = c.run(tape);
      out.grad = Float64Array.from(proj);
      tape.backward();
      const eps = 1e-6;
      let checked = 0;
      for (const [k, x] of c.inputs.entries()) {
        assert.ok(x.grad, `${name}: input ${k} got no gradient`);
        for (let i = 0; i < x.size; i++) {
          const old = x.data[i]!;
          x.data[i] = old + eps;
          const lp = loss();
          x.data[i] = old - eps;
          const lm = loss();
          x.data[i] = old;
          const num = (lp - lm) / (2 * eps), ana = x.grad[i]!;
          const err = Math.abs(num - ana) / Math.max(1, Math.abs(num));
          assert.ok(err < 1e-7, `${name} input ${k}[${i}]: analytic ${ana} vs numeric ${num}`);
          checked++;
        }
      }
      assert.ok(checked > 0);
    });
  });
}
