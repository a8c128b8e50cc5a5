// Tests for src/models/safetensors.ts: round trips, exact dtype conversions, sharding, and corrupt-file errors.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../src/errors.js";
import {
  f16BitsToF32Bits,
  f32BitsToF16Bits,
  loadCheckpointWeights,
  readSafetensors,
  readSafetensorsHeader,
  saveCheckpointWeights,
  writeSafetensors,
  type SafeDType,
  type TensorToWrite,
} from "../src/models/safetensors.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const FIXTURES = path.join(ROOT, "test", "fixtures");

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "poet-safetensors-"));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCount = 0;
function tmpDir(): string {
  const d = path.join(tmpRoot, `t${tmpCount++}`);
  fs.mkdirSync(d);
  return d;
}

/** Writes a safetensors file by hand: 8-byte length, the header text exactly as given, then `data`. */
function writeRaw(file: string, header: string, data: Uint8Array = new Uint8Array(0)): void {
  const h = Buffer.from(header, "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  fs.writeFileSync(file, Buffer.concat([len, h, data]));
}

/** The raw header JSON and data buffer of a file, parsed independently of the module under test. */
function rawParts(file: string): { header: Record<string, any>; headerLength: number; data: Buffer } {
  const b = fs.readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  return { header: JSON.parse(b.subarray(8, 8 + n).toString("utf8")), headerLength: n, data: b.subarray(8 + n) };
}

/** The 16-bit words of the only tensor in a file. */
function rawU16(file: string): Uint16Array {
  const { data } = rawParts(file);
  const copy = new Uint8Array(data);
  return new Uint16Array(copy.buffer, 0, copy.length / 2);
}

function f32FromBits(bits: readonly number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}

function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function assertUserError(fn: () => unknown, mustContain: readonly string[], pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    for (const s of mustContain) assert.ok(err.message.includes(s), `message lacks ${JSON.stringify(s)}: ${err.message}`);
    if (pattern !== undefined) assert.match(err.message, pattern);
    return true;
  });
}

/** Deterministic pseudo-random uint32s. */
function* randomU32(seed: number): Generator<number> {
  let s = seed >>> 0;
  for (;;) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    yield s;
  }
}

describe("safetensors round trips", () => {
  const tensors: TensorToWrite[] = [
    { name: "b.weight", shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-3]) },
    { name: "a.bias", shape: [3], data: new Float32Array([0.25, -0.5, 1024]) },
    { name: "scalar", shape: [], data: new Float32Array([7]) },
    { name: "empty", shape: [0, 4], data: new Float32Array(0) },
  ];

  it("F32: exact, sorted by name, 8-byte aligned, format pt", () => {
    const file = path.join(tmpDir(), "m.safetensors");
    writeSafetensors(file, tensors);
    const raw = rawParts(file);
    assert.equal(raw.headerLength % 8, 0);
    assert.deepEqual(Object.keys(raw.header), ["__metadata__", "a.bias", "b.weight", "empty", "scalar"]);
    assert.deepEqual(raw.header["__metadata__"], { format: "pt" });
    assert.deepEqual(raw.header["a.bias"], { dtype: "F32", shape: [3], data_offsets: [0, 12] });
    assert.deepEqual(raw.header["scalar"], { dtype: "F32", shape: [], data_offsets: [36, 40] });
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["m.safetensors"], "no temp file left behind");

    const back = readSafetensors(file);
    assert.equal(back.size, 4);
    for (const t of tensors) {
      const got = back.get(t.name);
      assert.ok(got, t.name);
      assert.equal(got.dtype, "F32");
      assert.deepEqual(got.shape, [...t.shape]);
      assert.ok(got.data instanceof Float32Array);
      assert.deepEqual(got.data, t.data);
    }
    const wide = readSafetensors(file, { dtype: "float64" });
    assert.ok(wide.get("b.weight")?.data instanceof Float64Array);
    assert.deepEqual([...wide.get("b.weight")!.data], [...tensors[0]!.data]);
  });

  it("F64: exact as float64, rounded as float32", () => {
    const file = path.join(tmpDir(), "m.safetensors");
    const data = new Float64Array([Math.PI, -1 / 3, 1e300, 5e-324, -0, Infinity, NaN]);
    writeSafetensors(file, [{ name: "x", shape: [7], data }], { dtype: "F64", metadata: { note: "hi" } });
    const header = readSafetensorsHeader(file);
    assert.deepEqual(header.metadata, { format: "pt", note: "hi" });
    assert.deepEqual(header.entries, [{ name: "x", dtype: "F64", shape: [7], begin: 0, end: 56 }]);
    assert.deepEqual(readSafetensors(file, { dtype: "float64" }).get("x")?.data, data);
    const narrow = readSafetensors(file).get("x")?.data;
    assert.deepEqual(narrow, new Float32Array(data));
  });

  it("BF16 and F16: values representable in the dtype survive exactly", () => {
    const gen = randomU32(7);
    const n = 4096;
    const bf = new Float32Array(n);
    const hf = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const h = gen.next().value! & 0xffff;
      bf[i] = f32FromBits([(h << 16) >>> 0])[0]!;
      hf[i] = f32FromBits([f16BitsToF32Bits(h)])[0]!;
    }
    for (const [dtype, data] of [["BF16", bf], ["F16", hf]] as const) {
      const file = path.join(tmpDir(), "m.safetensors");
      writeSafetensors(file, [{ name: "w", shape: [64, 64], data }], { dtype });
      const back = readSafetensors(file).get("w");
      assert.equal(back?.dtype, dtype);
      // NaN bit patterns may change (BF16 canonicalizes them); compare everything else bit for bit.
      const a = bitsOf(data);
      const b = bitsOf(back!.data as Float32Array);
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(data[i])) assert.ok(Number.isNaN(back!.data[i]));
        else assert.equal(b[i], a[i], `${dtype} element ${i}`);
      }
      const wide = readSafetensors(file, { dtype: "float64", names: new Set(["w"]) }).get("w")!.data;
      for (let i = 0; i < n; i++) assert.ok(Object.is(wide[i], data[i]) || (Number.isNaN(wide[i]) && Number.isNaN(data[i])));
    }
  });

  it("large tensors cross the read and write chunk boundaries", () => {
    const file = path.join(tmpDir(), "m.safetensors");
    const big = new Float32Array(5_000_001); // 20 MB of F32: more than one 16 MiB read
    const bf = new Float32Array(9_000_003); // 18 MB of BF16
    for (let i = 0; i < big.length; i++) big[i] = i * 0.5;
    for (let i = 0; i < bf.length; i++) bf[i] = (i % 256) - 128;
    writeSafetensors(file, [{ name: "big", shape: [big.length], data: big }]);
    assert.deepEqual(readSafetensors(file).get("big")?.data, big);
    writeSafetensors(file, [{ name: "bf", shape: [bf.length], data: bf }], { dtype: "BF16" });
    assert.equal(fs.statSync(file).size, rawParts(file).headerLength + 8 + bf.length * 2);
    assert.deepEqual(readSafetensors(file).get("bf")?.data, bf);
  });

  it("writes byte-identical files to the Python safetensors library (fixtures)", () => {
    const cases: [string, SafeDType][] = [
      [path.join(FIXTURES, "llama", "model", "model.safetensors"), "F32"],
      [path.join(FIXTURES, "llama-bf16-sharded", "model", "model-00001-of-00002.safetensors"), "BF16"],
      [path.join(FIXTURES, "llama-bf16-sharded", "model", "model-00002-of-00002.safetensors"), "BF16"],
    ];
    for (const [src, dtype] of cases) {
      const dst = path.join(tmpDir(), "copy.safetensors");
      const tensors = readSafetensors(src);
      writeSafetensors(dst, tensors, { dtype });
      assert.ok(fs.readFileSync(dst).equals(fs.readFileSync(src)), `${src} re-written as ${dtype} differs`);
    }
  });

  it("reads a hand-written header whose length is not a multiple of 8, with unsorted and overlapping ranges", () => {
    const file = path.join(tmpDir(), "odd.safetensors");
    const header = '{"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    assert.notEqual(Buffer.byteLength(header) % 8, 0);
    writeRaw(file, header, new Uint8Array(new Float32Array([1.5, 2.5, -3]).buffer));
    const h = readSafetensorsHeader(file);
    assert.equal(h.dataStart, 8 + Buffer.byteLength(header));
    assert.deepEqual(h.metadata, {});
    assert.deepEqual(h.entries.map((e) => e.name), ["a", "b"]);
    const t = readSafetensors(file);
    assert.deepEqual(t.get("a")?.data, new Float32Array([1.5]));
    assert.deepEqual(t.get("b")?.data, new Float32Array([2.5, -3]));

    const overlap = path.join(tmpDir(), "overlap.safetensors");
    writeRaw(
      overlap,
      '{"y":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"x":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}   ',
      new Uint8Array(new Uint32Array([0x3f800000, 0x40004040]).buffer),
    );
    const o = readSafetensors(overlap);
    assert.deepEqual(o.get("y")?.data, new Float32Array([1, f32FromBits([0x40004040])[0]!]));
    assert.deepEqual(bitsOf(o.get("x")!.data as Float32Array), new Uint32Array([0x40400000, 0x40000000]));
  });

  it("reads a tensor past the 2 GB mark of a (sparse) file without reading the rest", { skip: process.platform === "win32" }, () => {
    const file = path.join(tmpDir(), "huge.safetensors");
    const padBytes = 2_200_000_000;
    const header = Buffer.from(
      `{"pad":{"dtype":"U8","shape":[${padBytes}],"data_offsets":[0,${padBytes}]},` +
        `"tail":{"dtype":"BF16","shape":[2,2],"data_offsets":[${padBytes},${padBytes + 8}]}}`,
    );
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const fd = fs.openSync(file, "w");
    try {
      fs.writeSync(fd, Buffer.concat([len, header]), 0, 8 + header.length, 0);
      const tail = new Uint16Array([0x3f80, 0xc000, 0x7f80, 0x0001]);
      fs.writeSync(fd, new Uint8Array(tail.buffer), 0, 8, 8 + header.length + padBytes);
    } finally {
      fs.closeSync(fd);
    }
    const h = readSafetensorsHeader(file);
    assert.equal(h.entries[1]?.begin, padBytes);
    const t = readSafetensors(file, { names: new Set(["tail"]) });
    assert.deepEqual([...t.keys()], ["tail"]);
    assert.deepEqual([...t.get("tail")!.data], [1, -2, Infinity, 2 ** -133]);
    assertUserError(() => readSafetensors(file), [file, '"pad"', "U8"]);
  });
});

describe("safetensors dtype conversions", () => {
  it("BF16 encoding rounds to nearest even like PyTorch (hand-computed bit patterns)", () => {
    const cases: [number, number][] = [
      [0x3f800000, 0x3f80],
      [0x3f808000, 0x3f80], // tie, already even: stays
      [0x3f818000, 0x3f82], // tie, odd: rounds up to even
      [0x3f808001, 0x3f81], // just above the tie
      [0x3f807fff, 0x3f80], // just below the tie
      [0xbf818000, 0xbf82], // negative tie
      [0x40490fdb, 0x4049], // pi
      [0x7f7fffff, 0x7f80], // max float32 rounds to inf
      [0x7f7f7fff, 0x7f7f],
      [0x7f800000, 0x7f80],
      [0xff800000, 0xff80],
      [0x7fc00000, 0x7fc0], // NaNs all become PyTorch's 0x7FC0
      [0xffc00001, 0x7fc0],
      [0x7f800001, 0x7fc0],
      [0x80000000, 0x8000],
      [0x00008000, 0x0000], // float32 subnormal tie to even
      [0x00018000, 0x0002],
    ];
    const file = path.join(tmpDir(), "bf16.safetensors");
    writeSafetensors(file, [{ name: "x", shape: [cases.length], data: f32FromBits(cases.map((c) => c[0])) }], { dtype: "BF16" });
    assert.deepEqual([...rawU16(file)].map(hex), cases.map((c) => hex(c[1])));
    // float64 input rounds through float32, as PyTorch's double -> bfloat16 cast does.
    writeSafetensors(file, [{ name: "x", shape: [2], data: new Float64Array([1 + 2 ** -8, 1 + 2 ** -8 + 2 ** -40]) }], { dtype: "BF16" });
    assert.deepEqual([...rawU16(file)].map(hex), ["0x3f80", "0x3f80"]);
    // Decoding is the exact 16-bit shift.
    const back = readSafetensors(file).get("x")!.data as Float32Array;
    assert.deepEqual([...bitsOf(back)], [0x3f800000, 0x3f800000]);
  });

  it("BF16: every bit pattern decodes and re-encodes to itself (NaN to 0x7FC0)", () => {
    const data = new Float32Array(65536);
    const bits = bitsOf(data);
    for (let h = 0; h < 65536; h++) bits[h] = (h << 16) >>> 0;
    const file = path.join(tmpDir(), "all.safetensors");
    writeSafetensors(file, [{ name: "x", shape: [65536], data }], { dtype: "BF16" });
    const raw = rawU16(file);
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      assert.equal(raw[h], isNaN ? 0x7fc0 : h, `pattern ${hex(h)}`);
    }
    const back = bitsOf(readSafetensors(file).get("x")!.data as Float32Array);
    for (let h = 0; h < 65536; h++) assert.equal(back[h], ((raw[h]! << 16) >>> 0));
  });

  it("F16 decoding is exact: subnormals, inf, NaN", () => {
    const cases: [number, number][] = [
      [0x0001, 0x33800000], // 2^-24, smallest subnormal
      [0x03ff, 0x387fc000], // largest subnormal
      [0x0400, 0x38800000], // 2^-14, smallest normal
      [0x7bff, 0x477fe000], // 65504
      [0x7c00, 0x7f800000],
      [0xfc00, 0xff800000],
      [0x7e00, 0x7fc00000],
      [0x7c01, 0x7f802000], // NaN payload kept
      [0x8001, 0xb3800000],
      [0x8000, 0x80000000],
      [0x3c00, 0x3f800000],
      [0x3555, 0x3eaaa000],
    ];
    const file = path.join(tmpDir(), "f16.safetensors");
    writeRaw(
      file,
      `{"x":{"dtype":"F16","shape":[${cases.length}],"data_offsets":[0,${cases.length * 2}]}}`,
      new Uint8Array(new Uint16Array(cases.map((c) => c[0])).buffer),
    );
    const back = bitsOf(readSafetensors(file).get("x")!.data as Float32Array);
    assert.deepEqual([...back].map(hex), cases.map((c) => hex(c[1])));
    const wide = readSafetensors(file, { dtype: "float64" }).get("x")!.data;
    assert.equal(wide[0], 2 ** -24);
    assert.equal(wide[1], 1023 * 2 ** -24);
    assert.equal(wide[3], 65504);
    assert.equal(wide[4], Infinity);
    assert.equal(wide[5], -Infinity);
    assert.ok(Number.isNaN(wide[6]));
    assert.ok(Object.is(wide[9], -0));
  });

  it("F16 encoding rounds to nearest even like numpy (hand-computed bit patterns)", () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65519, 0x7bff],
      [65520, 0x7c00], // halfway to 65536: ties to even, which overflows to inf
      [65536, 0x7c00],
      [1e10, 0x7c00],
      [-1e10, 0xfc00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [NaN, 0x7e00],
      [-0, 0x8000],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000], // half the smallest subnormal: ties to even zero
      [-(2 ** -25), 0x8000],
      [3 * 2 ** -25, 0x0002], // 1.5 units -> 2
      [5 * 2 ** -25, 0x0002], // 2.5 units -> 2
      [2 ** -25 * (1 + 2 ** -23), 0x0001], // just above half
      [2 ** -14, 0x0400],
      [2 ** -14 - 2 ** -25, 0x0400], // 1023.5 units -> 1024: rounds up into the normals
      [2 ** -14 - 3 * 2 ** -25, 0x03fe], // 1022.5 -> 1022
      [1 + 2 ** -11, 0x3c00], // tie, even
      [1 + 3 * 2 ** -11, 0x3c02], // tie, odd -> up
      [1 + 2 ** -11 + 2 ** -23, 0x3c01],
      [Math.fround(0.1), 0x2e66],
      [Math.fround(1 / 3), 0x3555],
      [2 ** -26, 0x0000],
      [1e-8, 0x0000],
    ];
    for (const Arr of [Float32Array, Float64Array]) {
      const file = path.join(tmpDir(), "f16.safetensors");
      writeSafetensors(file, [{ name: "x", shape: [cases.length], data: new Arr(cases.map((c) => c[0])) }], { dtype: "F16" });
      assert.deepEqual([...rawU16(file)].map(hex), cases.map((c) => hex(c[1])), Arr.name);
    }
    // float64 input rounds once (numpy's double -> half), not via float32.
    const doubles: [number, number][] = [
      [1 + 2 ** -11 + 2 ** -40, 0x3c01], // via float32 this would be a tie -> 0x3c00
      [2 ** -25 + 2 ** -60, 0x0001],
      [65520 - 2 ** -30, 0x7bff], // via float32 this would be 65520 -> inf
    ];
    const file = path.join(tmpDir(), "f16d.safetensors");
    writeSafetensors(file, [{ name: "x", shape: [doubles.length], data: new Float64Array(doubles.map((c) => c[0])) }], { dtype: "F16" });
    assert.deepEqual([...rawU16(file)].map(hex), doubles.map((c) => hex(c[1])));
  });

  it("F16: every bit pattern decodes and re-encodes to itself, NaN payloads included", () => {
    const data = new Float32Array(65536);
    const bits = bitsOf(data);
    for (let h = 0; h < 65536; h++) bits[h] = f16BitsToF32Bits(h);
    const file = path.join(tmpDir(), "all.safetensors");
    writeSafetensors(file, [{ name: "x", shape: [65536], data }], { dtype: "F16" });
    const raw = rawU16(file);
    for (let h = 0; h < 65536; h++) assert.equal(raw[h], h, `pattern ${hex(h)}`);
    const back = bitsOf(readSafetensors(file).get("x")!.data as Float32Array);
    for (let h = 0; h < 65536; h++) assert.equal(back[h], bits[h], `pattern ${hex(h)}`);
  });

  it("F16: the float32 (bit) and float64 (arithmetic) encoders agree on random float32 values", () => {
    const gen = randomU32(12345);
    const n = 200_000;
    const bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const r = gen.next().value!;
      // Bias towards the float16 range so rounding, subnormal and overflow paths are all hit.
      bits[i] = i % 2 === 0 ? r : ((r & 0x80ffffff) | ((((r >>> 24) % 48) + 100) << 23)) >>> 0;
    }
    const f32 = new Float32Array(bits.buffer);
    const dir = tmpDir();
    writeSafetensors(path.join(dir, "a.safetensors"), [{ name: "x", shape: [n], data: f32 }], { dtype: "F16" });
    writeSafetensors(path.join(dir, "b.safetensors"), [{ name: "x", shape: [n], data: new Float64Array(f32) }], { dtype: "F16" });
    const a = rawU16(path.join(dir, "a.safetensors"));
    const b = rawU16(path.join(dir, "b.safetensors"));
    for (let i = 0; i < n; i++) {
      const nan = Number.isNaN(f32[i]);
      if (!nan) assert.equal(b[i], a[i], `float32 bits ${hex(bits[i]!)}`);
      assert.equal(a[i], f32BitsToF16Bits(bits[i]!));
    }
  });
});

describe("checkpoint directories", () => {
  it("loads the sharded BF16 fixture through its index", () => {
    const dir = path.join(FIXTURES, "llama-bf16-sharded", "model");
    const index = JSON.parse(fs.readFileSync(path.join(dir, "model.safetensors.index.json"), "utf8"));
    const { tensors, files, index: indexFile } = loadCheckpointWeights(dir);
    assert.equal(indexFile, path.join(dir, "model.safetensors.index.json"));
    assert.deepEqual(files, [1, 2].map((i) => path.join(dir, `model-0000${i}-of-00002.safetensors`)));
    assert.deepEqual([...tensors.keys()].sort(), Object.keys(index.weight_map).sort());
    for (const t of tensors.values()) assert.equal(t.dtype, "BF16");
    const some = loadCheckpointWeights(dir, { names: new Set(["lm_head.weight", "not.a.tensor"]) });
    assert.deepEqual([...some.tensors.keys()], ["lm_head.weight"]);
    assert.deepEqual(some.files, [path.join(dir, "model-00001-of-00002.safetensors")]);
  });

  it("saves and loads sharded and single-file checkpoints, cleaning up stale weight files", () => {
    const dir = path.join(tmpDir(), "out", "model");
    const tensors: TensorToWrite[] = [];
    for (let i = 0; i < 5; i++) {
      const data = new Float32Array(100).map((_, j) => i * 30 + j); // integers < 256: exact in bf16
      tensors.push({ name: `layers.${i}.weight`, shape: [10, 10], data });
    }
    tensors.push({ name: "huge", shape: [300], data: new Float32Array(300).fill(3) });
    const saved = saveCheckpointWeights(dir, tensors, { dtype: "BF16", maxShardBytes: 450 });
    // 200 bytes per layer: two per shard; "huge" (600 bytes) is over the limit and gets a shard of its own,
    // emitted when it is met (before the last partial shard), as huggingface_hub does.
    const names = [1, 2, 3, 4].map((i) => `model-0000${i}-of-00004.safetensors`);
    assert.deepEqual(saved.files, names.map((n) => path.join(dir, n)));
    assert.equal(saved.totalBytes, 5 * 200 + 600);
    assert.deepEqual(fs.readdirSync(dir).sort(), [...names, "model.safetensors.index.json"].sort());
    const index = JSON.parse(fs.readFileSync(path.join(dir, "model.safetensors.index.json"), "utf8"));
    assert.deepEqual(index.metadata, { total_size: 1600 });
    assert.deepEqual(index.weight_map, {
      huge: names[2],
      "layers.0.weight": names[0],
      "layers.1.weight": names[0],
      "layers.2.weight": names[1],
      "layers.3.weight": names[1],
      "layers.4.weight": names[3],
    });
    assert.deepEqual(Object.keys(index.weight_map), Object.keys(index.weight_map).sort());

    const loaded = loadCheckpointWeights(dir);
    assert.equal(loaded.tensors.size, 6);
    for (const t of tensors) {
      const got = loaded.tensors.get(t.name);
      assert.equal(got?.dtype, "BF16");
      assert.deepEqual(got?.shape, [...t.shape]);
      assert.deepEqual(got?.data, t.data, t.name);
    }

    // Re-saving as one file removes the shards and the index (they would otherwise be stale).
    const single = saveCheckpointWeights(dir, loaded.tensors, { dtype: "F32" });
    assert.deepEqual(single, { files: [path.join(dir, "model.safetensors")], index: null, totalBytes: 3200 });
    assert.deepEqual(fs.readdirSync(dir), ["model.safetensors"]);
    const again = loadCheckpointWeights(dir, { dtype: "float64" });
    assert.equal(again.index, null);
    assert.ok(again.tensors.get("huge")?.data instanceof Float64Array);
    assert.equal(again.tensors.get("layers.4.weight")?.data[99], 219);

    // And going back to shards removes model.safetensors, which transformers would otherwise load first.
    saveCheckpointWeights(dir, tensors, { maxShardBytes: 2000 });
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
    ]);
    assert.equal(loadCheckpointWeights(dir).tensors.size, 6);
  });
});

describe("safetensors errors", () => {
  const valid = (): { file: string; bytes: Buffer } => {
    const file = path.join(tmpDir(), "model.safetensors");
    writeSafetensors(file, [
      { name: "a", shape: [4], data: new Float32Array([1, 2, 3, 4]) },
      { name: "b", shape: [2, 2], data: new Float32Array([5, 6, 7, 8]) },
    ]);
    return { file, bytes: fs.readFileSync(file) };
  };

  it("truncated data names the file and both sizes", () => {
    const { file, bytes } = valid();
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 5));
    const expected =
      `${file}: truncated or corrupt safetensors file (header says 32 bytes of data, file has 27): ` +
      `re-download or re-save the checkpoint`;
    assert.throws(() => readSafetensorsHeader(file), (e: unknown) => e instanceof UserError && e.message === expected);
    assert.throws(() => readSafetensors(file), (e: unknown) => e instanceof UserError && e.message === expected);
  });

  it("a file shorter than 8 bytes, a truncated header, an absurd header length", () => {
    const dir = tmpDir();
    const short = path.join(dir, "short.safetensors");
    fs.writeFileSync(short, Buffer.from([1, 2, 3]));
    assertUserError(() => readSafetensors(short), [short, "3 bytes"]);
    const empty = path.join(dir, "empty.safetensors");
    fs.writeFileSync(empty, "");
    assertUserError(() => readSafetensorsHeader(empty), [empty, "0 bytes"]);

    const { file, bytes } = valid();
    fs.writeFileSync(file, bytes.subarray(0, 40));
    assertUserError(() => readSafetensors(file), [file, "truncated or corrupt", `file has 32 after the length prefix`]);

    const absurd = path.join(dir, "absurd.safetensors");
    const b = Buffer.alloc(64, 0x20);
    b.writeBigUInt64LE(0xffffffffffffffffn, 0);
    fs.writeFileSync(absurd, b);
    assertUserError(() => readSafetensors(absurd), [absurd, "18446744073709551615", "100000000"]);
  });

  it("garbage JSON, a non-object header, bad metadata, missing keys", () => {
    const dir = tmpDir();
    const cases: [string, string, string][] = [
      ["garbage", "\u0089PNG\r\n\u001a\n not json", "not valid JSON"],
      ["array", "[1, 2]", "not a JSON object"],
      ["meta", '{"__metadata__":{"format":1}}', '"__metadata__" value for "format" is not a string'],
      ["nodtype", '{"w":{"shape":[1],"data_offsets":[0,4]}}', 'tensor "w" has no "dtype"'],
      ["noshape", '{"w":{"dtype":"F32","data_offsets":[0,4]}}', 'tensor "w" has no "shape"'],
      ["nooffsets", '{"w":{"dtype":"F32","shape":[1]}}', 'tensor "w" has no "data_offsets"'],
      ["badshape", '{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', "not a list of non-negative integers"],
      ["notentry", '{"w":[1,2,3]}', 'tensor "w" is not an object'],
      ["unknown", '{"w":{"dtype":"Q4_K","shape":[1],"data_offsets":[0,4]}}', 'unknown dtype "Q4_K"'],
    ];
    for (const [name, header, detail] of cases) {
      const file = path.join(dir, `${name}.safetensors`);
      writeRaw(file, header, new Uint8Array(16));
      assertUserError(() => readSafetensorsHeader(file), [file, detail, "re-download or re-save the checkpoint"]);
      assertUserError(() => readSafetensors(file), [file, detail]);
    }
  });

  it("bad data_offsets: reversed, wrong length for dtype and shape, past the end", () => {
    const dir = tmpDir();
    const cases: [string, string, string][] = [
      ["reversed", '{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}', "begin after end"],
      ["short", '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}', "(12 bytes) but dtype F32 and shape [2, 2] need 16 bytes"],
      ["bf16", '{"w":{"dtype":"BF16","shape":[4],"data_offsets":[0,16]}}', "need 8 bytes"],
      ["one", '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', "not [begin, end]"],
      ["neg", '{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', "not [begin, end]"],
      ["past", '{"w":{"dtype":"F32","shape":[4],"data_offsets":[4,20]}}', "header says 20 bytes of data, file has 16"],
    ];
    for (const [name, header, detail] of cases) {
      const file = path.join(dir, `${name}.safetensors`);
      writeRaw(file, header, new Uint8Array(16));
      assertUserError(() => readSafetensors(file), [file, detail]);
    }
  });

  it("a non-float dtype can be inspected but not loaded as floats", () => {
    const file = path.join(tmpDir(), "ids.safetensors");
    writeRaw(
      file,
      '{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"w":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}',
      new Uint8Array(20),
    );
    const h = readSafetensorsHeader(file);
    assert.deepEqual(h.entries.map((e) => [e.name, e.dtype]), [["ids", "I64"], ["w", "F32"]]);
    assertUserError(() => readSafetensors(file), [file, 'tensor "ids"', "I64", "F32, F16, BF16, F64"]);
    assert.deepEqual([...readSafetensors(file, { names: new Set(["w"]) }).keys()], ["w"]);
  });

  it("missing files and directories", () => {
    const dir = tmpDir();
    const missing = path.join(dir, "nope.safetensors");
    assertUserError(() => readSafetensors(missing), [missing, "no such file"]);
    assertUserError(() => readSafetensorsHeader(dir), [dir, "directory"]);
    assertUserError(() => loadCheckpointWeights(dir), [dir, "model.safetensors", "model.safetensors.index.json"]);
    assertUserError(() => loadCheckpointWeights(path.join(dir, "absent")), ["absent", "model.safetensors.index.json"]);
    const notDir = path.join(dir, "model.safetensors");
    writeSafetensors(notDir, []);
    assertUserError(() => loadCheckpointWeights(notDir), [notDir, "not a model directory"]);
    fs.rmSync(notDir);
    assertUserError(
      () => writeSafetensors(path.join(dir, "no", "such", "dir.safetensors"), []),
      ["dir.safetensors", "cannot write"],
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it("sharded checkpoints: missing shard, tensor missing from its shard, bad index", () => {
    const dir = tmpDir();
    const tensors: TensorToWrite[] = ["a", "b", "c"].map((name) => ({ name, shape: [4], data: new Float32Array(4).fill(1) }));
    saveCheckpointWeights(dir, tensors, { maxShardBytes: 20 });
    const indexFile = path.join(dir, "model.safetensors.index.json");
    const index = JSON.parse(fs.readFileSync(indexFile, "utf8"));
    assert.deepEqual(Object.values(index.weight_map), [1, 2, 3].map((i) => `model-0000${i}-of-00003.safetensors`));

    // A tensor the index assigns to a shard that lacks it.
    index.weight_map["d"] = "model-00003-of-00003.safetensors";
    fs.writeFileSync(indexFile, JSON.stringify(index));
    assertUserError(() => loadCheckpointWeights(dir), ["model-00003-of-00003.safetensors", 'tensor "d"', "re-download"]);

    // A shard that is not there.
    index.weight_map["d"] = "model-00004-of-00004.safetensors";
    fs.writeFileSync(indexFile, JSON.stringify(index));
    assertUserError(() => loadCheckpointWeights(dir), [indexFile, "model-00004-of-00004.safetensors", "download every shard"]);
    fs.rmSync(path.join(dir, "model-00002-of-00003.safetensors"));
    delete index.weight_map["d"];
    fs.writeFileSync(indexFile, JSON.stringify(index));
    assertUserError(() => loadCheckpointWeights(dir), ["model-00002-of-00003.safetensors"]);
    // ... which does not matter when its tensors are not wanted.
    assert.deepEqual([...loadCheckpointWeights(dir, { names: new Set(["a", "c"]) }).tensors.keys()], ["a", "c"]);

    // A shard path escaping the directory, a broken index.
    index.weight_map["a"] = "../elsewhere.safetensors";
    fs.writeFileSync(indexFile, JSON.stringify(index));
    assertUserError(() => loadCheckpointWeights(dir), [indexFile, '"a"', "../elsewhere.safetensors"]);
    fs.writeFileSync(indexFile, "{not json");
    assertUserError(() => loadCheckpointWeights(dir), [indexFile, "invalid JSON"]);
    fs.writeFileSync(indexFile, '{"metadata": {}}');
    assertUserError(() => loadCheckpointWeights(dir), [indexFile, "weight_map"]);
  });

  it("caller bugs are plain Errors, not UserErrors", () => {
    const file = path.join(tmpDir(), "x.safetensors");
    const bad = (tensors: TensorToWrite[]): void => {
      assert.throws(() => writeSafetensors(file, tensors), (e: unknown) => e instanceof Error && !(e instanceof UserError));
    };
    bad([{ name: "w", shape: [3], data: new Float32Array(4) }]);
    bad([{ name: "w", shape: [1], data: new Float32Array(1) }, { name: "w", shape: [1], data: new Float32Array(1) }]);
    bad([{ name: "__metadata__", shape: [1], data: new Float32Array(1) }]);
    assert.equal(fs.existsSync(file), false);
  });
});

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
