// The native kernels against the portable ones on the same float32 inputs: forward outputs and every input
// gradient of every op case must agree to float32 rounding. Fails (not skips) when POET_REQUIRE_NATIVE=1 and
// the addon is missing, which CI sets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { nativeBackend, nativeLoadError } from "../src/engine/backends/native.js";
import { portableBackend } from "../src/engine/backends/portable.js";
import { Tape } from "../src/engine/tape.js";
import { opCases, rng } from "./op-cases.js";

const native = nativeBackend();
const portable = portableBackend("float32");

test("native addon loads", { skip: native || process.env.POET_REQUIRE_NATIVE === "1" ? false : `addon not built: ${nativeLoadError()}` }, () => {
  assert.ok(native, `native backend unavailable: ${nativeLoadError()}`);
});

function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    assert.ok(err < 2e-5, `${what}[${i}]: native ${a[i]} vs portable ${b[i]}`);
  }
}

for (const [name, builders] of Object.entries(opCases)) {
  builders.forEach((build, ci) => {
    test(`native = portable: ${name} #${ci}`, { skip: native ? false : "native addon not built" }, () => {
      const runOn = (backend: typeof portable) => {
        const c = build(backend);
        const tape = new Tape(backend, true);
        const out = c.run(tape);
        const r = rng(7);
        out.grad = backend.from(Array.from({ length: out.size }, () => 2 * r() - 1));
        tape.backward();
        return { out: out.data, grads: c.inputs.map((x) => x.grad!) };
      };
      const a = runOn(native!), p = runOn(portable);
      close(a.out, p.out, `${name} forward`);
      a.grads.forEach((g, k) => close(g, p.grads[k]!, `${name} d input ${k}`));
    });
  });
}
