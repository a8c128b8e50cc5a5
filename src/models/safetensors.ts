// Reads and writes Hugging Face safetensors checkpoints (one file, or shards plus model.safetensors.index.json),
// converting F32/F16/BF16/F64 to and from float arrays. It knows nothing of model architectures or tensor names.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UserError } from "../errors.js";

/** The stored dtypes that load as float weights. */
export type SafeDType = "F32" | "F16" | "BF16" | "F64";

/** Every dtype the safetensors format defines; the non-float ones can be inspected but not loaded as floats. */
export type SafeRawDType =
  | SafeDType
  | "F8_E4M3" | "F8_E5M2" | "F8_E8M0" | "F6_E2M3" | "F6_E3M2" | "F4"
  | "BOOL" | "I8" | "U8" | "I16" | "U16" | "I32" | "U32" | "I64" | "U64" | "C64";

/** Bits per element of each dtype (sub-byte dtypes pack several elements per byte). */
const DTYPE_BITS: Readonly<Record<SafeRawDType, number>> = {
  F64: 64, F32: 32, F16: 16, BF16: 16,
  F8_E4M3: 8, F8_E5M2: 8, F8_E8M0: 8, F6_E2M3: 6, F6_E3M2: 6, F4: 4,
  BOOL: 8, I8: 8, U8: 8, I16: 16, U16: 16, I32: 32, U32: 32, I64: 64, U64: 64, C64: 64,
};

const FLOAT_DTYPES: readonly SafeDType[] = ["F32", "F16", "BF16", "F64"];

/** Bytes per element of a float dtype. */
export function safeDTypeBytes(dtype: SafeDType): number {
  return DTYPE_BITS[dtype] / 8;
}

/** One tensor as the header describes it; `begin`/`end` are byte offsets relative to the start of the data buffer. */
export interface SafeEntry {
  name: string;
  dtype: SafeRawDType;
  shape: number[];
  begin: number;
  end: number;
}

/** A validated safetensors header. */
export interface SafeHeader {
  /** Tensors sorted by `begin` (then name). */
  entries: SafeEntry[];
  /** The `__metadata__` map, `{}` when the file has none. */
  metadata: Record<string, string>;
  /** Absolute file offset of the data buffer: 8 + header length. */
  dataStart: number;
  /** Size of the whole file in bytes. */
  fileSize: number;
}

/** A tensor loaded as floats: `dtype` is what the file stored, `data` is row-major in the requested float type. */
export interface SafeTensor<A extends Float32Array | Float64Array = Float32Array | Float64Array> {
  shape: number[];
  dtype: SafeDType;
  data: A;
}

/** Options for reading: the float type to convert to (default float32) and, optionally, which tensors to read. */
export interface ReadSafetensorsOptions {
  dtype?: "float32" | "float64";
  /** Only tensors with these names are read; names the file lacks are not an error (the caller checks). */
  names?: ReadonlySet<string>;
}

/** A tensor to write: `data` is row-major and holds exactly product(shape) elements. */
export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  data: Float32Array | Float64Array;
}

/** Tensors to write: a list, or a map from name (as `loadCheckpointWeights` returns). */
export type TensorsToWrite =
  | readonly TensorToWrite[]
  | ReadonlyMap<string, { shape: readonly number[]; data: Float32Array | Float64Array }>;

/** Options for writing: the stored dtype (default F32) and extra `__metadata__` entries (merged over `{"format": "pt"}`). */
export interface WriteSafetensorsOptions {
  dtype?: SafeDType;
  metadata?: Readonly<Record<string, string>>;
}

/** Options for saving a checkpoint directory; shards are cut when the tensor bytes exceed `maxShardBytes` (default 5 GB). */
export interface SaveCheckpointOptions extends WriteSafetensorsOptions {
  maxShardBytes?: number;
}

/** The weights of a checkpoint directory and where they came from. */
export interface CheckpointWeights<A extends Float32Array | Float64Array = Float32Array | Float64Array> {
  tensors: Map<string, SafeTensor<A>>;
  /** The .safetensors files read, in the order read. */
  files: string[];
  /** The index file used, or null for a single `model.safetensors`. */
  index: string | null;
}

/** What `saveCheckpointWeights` wrote. */
export interface SavedCheckpoint {
  /** The .safetensors files written, in shard order. */
  files: string[];
  /** The index written, or null when the checkpoint fits in one `model.safetensors`. */
  index: string | null;
  /** Total tensor bytes (the index's `metadata.total_size`). */
  totalBytes: number;
}

/** The single-file weights name transformers looks for first. */
export const SAFE_WEIGHTS_NAME = "model.safetensors";
/** The index of a sharded checkpoint. */
export const SAFE_WEIGHTS_INDEX_NAME = "model.safetensors.index.json";
/** transformers' default `max_shard_size`: 5 GB (decimal). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

/** The safetensors library refuses headers over 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;
/** Reads and writes move at most this many bytes per system call (fs calls cap at 2 GiB; smaller keeps scratch small). */
const IO_CHUNK_BYTES = 16 * 1024 * 1024;
/** Elements converted per chunk when writing. */
const WRITE_CHUNK_ELEMS = 1 << 20;

// ---------------------------------------------------------------------------------------------------------------
// Reading

/**
 * Reads and validates the header of a safetensors file without reading tensor data. Any dtype the format defines
 * is accepted here. Throws a UserError naming `file` for a missing file, a file too short for the length prefix, a
 * header length past the end of the file or over 100 MB, invalid JSON, missing or ill-typed keys, an unknown dtype,
 * data_offsets that disagree with dtype and shape, and data past the end of the file (truncation). Overlapping or
 * unsorted ranges are tolerated.
 */
export function readSafetensorsHeader(file: string): SafeHeader {
  const fd = openForRead(file);
  try {
    return parseHeader(fd, file, fileSizeOf(fd, file));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads the float tensors of a safetensors file, converting F16/BF16/F32/F64 to `opts.dtype` (default float32;
 * BF16 and F16 convert exactly, F64 to float32 rounds to nearest). Each tensor is read at its offset into its own
 * array, so files over 2 GB work. Validates the header as `readSafetensorsHeader` does, and throws a UserError
 * naming the tensor and file when a selected tensor has a non-float dtype (I64, U8, ...).
 */
export function readSafetensors(
  file: string,
  opts?: ReadSafetensorsOptions & { dtype?: "float32" },
): Map<string, SafeTensor<Float32Array>>;
export function readSafetensors(
  file: string,
  opts: ReadSafetensorsOptions & { dtype: "float64" },
): Map<string, SafeTensor<Float64Array>>;
export function readSafetensors(file: string, opts?: ReadSafetensorsOptions): Map<string, SafeTensor>;
export function readSafetensors(file: string, opts: ReadSafetensorsOptions = {}): Map<string, SafeTensor> {
  checkLittleEndian();
  const want = opts.dtype ?? "float32";
  const fd = openForRead(file);
  try {
    const header = parseHeader(fd, file, fileSizeOf(fd, file));
    const selected = header.entries.filter((e) => opts.names === undefined || opts.names.has(e.name));
    for (const e of selected) {
      if (!isFloatDType(e.dtype)) {
        throw new UserError(
          `${file}: tensor "${e.name}" has dtype ${e.dtype}, which cannot be loaded as float weights ` +
            `(supported: ${FLOAT_DTYPES.join(", ")}): convert the checkpoint to a float dtype`,
        );
      }
    }
    const out = new Map<string, SafeTensor>();
    const scratch = new ArrayBuffer(IO_CHUNK_BYTES);
    for (const e of selected) {
      const dtype = e.dtype as SafeDType;
      const n = e.shape.reduce((a, b) => a * b, 1);
      const data = readTensorData(fd, file, header.dataStart + e.begin, dtype, n, want, scratch);
      out.set(e.name, { shape: e.shape.slice(), dtype, data });
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Loads the weights of a Hugging Face model directory: `model.safetensors` if present (as transformers prefers),
 * else the shards listed in `model.safetensors.index.json`. `opts` are as for `readSafetensors`; with `names`,
 * only shards holding a wanted tensor are read. Throws a UserError when the directory has neither file, the index
 * is not valid JSON or has no `weight_map`, a shard it names is missing, or a shard lacks a tensor the index
 * assigns to it.
 */
export function loadCheckpointWeights(
  dir: string,
  opts?: ReadSafetensorsOptions & { dtype?: "float32" },
): CheckpointWeights<Float32Array>;
export function loadCheckpointWeights(
  dir: string,
  opts: ReadSafetensorsOptions & { dtype: "float64" },
): CheckpointWeights<Float64Array>;
export function loadCheckpointWeights(dir: string, opts?: ReadSafetensorsOptions): CheckpointWeights;
export function loadCheckpointWeights(dir: string, opts: ReadSafetensorsOptions = {}): CheckpointWeights {
  const single = path.join(dir, SAFE_WEIGHTS_NAME);
  if (isFile(single)) {
    return { tensors: readSafetensors(single, opts), files: [single], index: null };
  }
  const indexFile = path.join(dir, SAFE_WEIGHTS_INDEX_NAME);
  if (!isFile(indexFile)) {
    if (isFile(dir)) {
      throw new UserError(`${dir}: is a file, not a model directory: give the directory that holds ${SAFE_WEIGHTS_NAME}`);
    }
    const why = isDirectory(dir) ? "has neither" : "does not exist, so has neither";
    throw new UserError(
      `${dir}: the model directory ${why} ${SAFE_WEIGHTS_NAME} nor ${SAFE_WEIGHTS_INDEX_NAME}: ` +
        `give a Hugging Face model directory with safetensors weights (convert .bin checkpoints with transformers' save_pretrained)`,
    );
  }
  const weightMap = readWeightMap(indexFile);
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of weightMap) {
    if (opts.names !== undefined && !opts.names.has(name)) continue;
    let list = byShard.get(shard);
    if (list === undefined) byShard.set(shard, (list = []));
    list.push(name);
  }
  const tensors = new Map<string, SafeTensor>();
  const files: string[] = [];
  for (const shard of [...byShard.keys()].sort()) {
    const names = byShard.get(shard) ?? [];
    const shardFile = path.join(dir, shard);
    if (!isFile(shardFile)) {
      throw new UserError(
        `${indexFile}: shard ${shard} is listed in the index but ${shardFile} does not exist: ` +
          `download every shard of the checkpoint`,
      );
    }
    const got = readSafetensors(shardFile, { ...opts, names: new Set(names) });
    for (const name of names) {
      const t = got.get(name);
      if (t === undefined) {
        throw new UserError(
          `${shardFile}: tensor "${name}" is assigned to this shard by ${SAFE_WEIGHTS_INDEX_NAME} but is not in it: ` +
            `re-download the checkpoint (the index and shards do not match)`,
        );
      }
      tensors.set(name, t);
    }
    files.push(shardFile);
  }
  return { tensors, files, index: indexFile };
}

function readWeightMap(indexFile: string): Map<string, string> {
  let index: unknown;
  try {
    index = JSON.parse(fs.readFileSync(indexFile, "utf8"));
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new UserError(`${indexFile}: invalid JSON (${err.message}): re-download the checkpoint`);
    }
    throw fsUserError(indexFile, err);
  }
  const wm = isPlainObject(index) ? index["weight_map"] : undefined;
  if (!isPlainObject(wm)) {
    throw new UserError(`${indexFile}: no "weight_map" object: re-download the checkpoint`);
  }
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(wm)) {
    if (typeof shard !== "string" || shard === "" || path.isAbsolute(shard) || shard.split(/[\\/]/).includes("..")) {
      throw new UserError(
        `${indexFile}: weight_map entry for "${name}" is ${JSON.stringify(shard)}, not a shard file name in the ` +
          `same directory: re-download the checkpoint`,
      );
    }
    out.set(name, shard);
  }
  return out;
}

function parseHeader(fd: number, file: string, fileSize: number): SafeHeader {
  if (fileSize < 8) {
    throw corrupt(file, `the file is ${fileSize} bytes, too short for the 8-byte header length`);
  }
  const prefix = Buffer.alloc(8);
  readFully(fd, file, prefix, 0);
  const n64 = prefix.readBigUInt64LE(0);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw corrupt(file, `header length ${n64} is over the ${MAX_HEADER_BYTES}-byte limit; is this a safetensors file?`);
  }
  const n = Number(n64);
  if (8 + n > fileSize) {
    throw corrupt(file, `header says its JSON is ${n} bytes, file has ${fileSize - 8} after the length prefix`);
  }
  const bytes = Buffer.alloc(n);
  readFully(fd, file, bytes, 8);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw corrupt(file, `header is not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(json)) throw corrupt(file, "header is not a JSON object");

  const dataStart = 8 + n;
  const dataSize = fileSize - dataStart;
  const entries: SafeEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json)) {
    if (name === "__metadata__") {
      metadata = parseMetadata(file, value);
      continue;
    }
    entries.push(parseEntry(file, name, value));
  }
  let needed = 0;
  for (const e of entries) needed = Math.max(needed, e.end);
  if (needed > dataSize) {
    throw corrupt(file, `header says ${needed} bytes of data, file has ${dataSize}`);
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, metadata, dataStart, fileSize };
}

function parseMetadata(file: string, value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw corrupt(file, `"__metadata__" is not an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw corrupt(file, `"__metadata__" value for "${k}" is not a string`);
    out[k] = v;
  }
  return out;
}

function parseEntry(file: string, name: string, value: unknown): SafeEntry {
  const bad = (what: string): UserError => corrupt(file, `tensor "${name}" ${what}`);
  if (!isPlainObject(value)) throw bad("is not an object");
  const dtype = value["dtype"];
  const shape = value["shape"];
  const offsets = value["data_offsets"];
  if (dtype === undefined) throw bad(`has no "dtype"`);
  if (shape === undefined) throw bad(`has no "shape"`);
  if (offsets === undefined) throw bad(`has no "data_offsets"`);
  if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BITS, dtype)) {
    throw bad(`has unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw bad(`has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw bad(`has data_offsets ${JSON.stringify(offsets)}, not [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw bad(`has data_offsets [${begin}, ${end}] with begin after end`);
  const bits = DTYPE_BITS[dtype as SafeRawDType];
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const bitCount = numel * bits;
  if (!Number.isSafeInteger(bitCount) || bitCount % 8 !== 0 || bitCount / 8 !== end - begin) {
    throw bad(
      `has data_offsets [${begin}, ${end}] (${end - begin} bytes) but dtype ${dtype} and shape ` +
        `[${(shape as number[]).join(", ")}] need ${bitCount / 8} bytes`,
    );
  }
  return { name, dtype: dtype as SafeRawDType, shape: (shape as number[]).slice(), begin, end };
}

/** Reads `n` elements of `dtype` at absolute `position` and converts them to the requested float type. */
function readTensorData(
  fd: number,
  file: string,
  position: number,
  dtype: SafeDType,
  n: number,
  want: "float32" | "float64",
  scratch: ArrayBuffer,
): Float32Array | Float64Array {
  const out = want === "float32" ? new Float32Array(n) : new Float64Array(n);
  const srcBytes = safeDTypeBytes(dtype);
  if ((dtype === "F32" && want === "float32") || (dtype === "F64" && want === "float64")) {
    readFully(fd, file, new Uint8Array(out.buffer, out.byteOffset, out.byteLength), position);
    return out;
  }
  const perChunk = Math.floor(scratch.byteLength / srcBytes);
  for (let done = 0; done < n; done += perChunk) {
    const k = Math.min(perChunk, n - done);
    readFully(fd, file, new Uint8Array(scratch, 0, k * srcBytes), position + done * srcBytes);
    decodeChunk(dtype, scratch, k, out, done);
  }
  return out;
}

/** Converts `k` elements of `dtype` at the start of `raw` into `out[off, off + k)`. */
function decodeChunk(dtype: SafeDType, raw: ArrayBuffer, k: number, out: Float32Array | Float64Array, off: number): void {
  if (dtype === "F32") {
    out.set(new Float32Array(raw, 0, k), off);
  } else if (dtype === "F64") {
    out.set(new Float64Array(raw, 0, k), off); // rounds to nearest float32
  } else if (out instanceof Float32Array) {
    const src = new Uint16Array(raw, 0, k);
    const dst = new Int32Array(out.buffer, out.byteOffset + off * 4, k);
    if (dtype === "BF16") {
      // Two bf16 per 32-bit load (little-endian: the first is the low half); ~1.5x faster than one at a time.
      const pairs = new Int32Array(raw, 0, k >>> 1);
      const np = pairs.length;
      for (let i = 0, j = 0; i < np; i++, j += 2) {
        const w = pairs[i]!;
        dst[j] = w << 16;
        dst[j + 1] = w & 0xffff0000;
      }
      if ((k & 1) !== 0) dst[k - 1] = src[k - 1]! << 16;
    } else {
      const table = f16ToF32BitsTable();
      for (let i = 0; i < k; i++) dst[i] = table[src[i]!]!;
    }
  } else {
    const src = new Uint16Array(raw, 0, k);
    const table = dtype === "BF16" ? bf16ToF32Table() : f16ToF32Table();
    for (let i = 0; i < k; i++) out[off + i] = table[src[i]!]!;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/**
 * Writes `tensors` to a safetensors file atomically (to `file.tmp-<pid>`, fsync, rename), stored as `opts.dtype`
 * (default F32). Tensors are laid out sorted by name, as the Python library does, and the header is padded with
 * spaces to 8-byte alignment. BF16 rounds to nearest even as PyTorch's `.to(torch.bfloat16)` (float64 input goes
 * through float32 first, as PyTorch does); F16 rounds to nearest even as numpy's `astype(float16)` (float64 input
 * rounds once). `__metadata__` is `{"format": "pt"}` plus `opts.metadata`. Throws a UserError when the file cannot
 * be created, and a plain Error for a caller bug (shape/data length mismatch, duplicate names).
 */
export function writeSafetensors(file: string, tensors: TensorsToWrite, opts: WriteSafetensorsOptions = {}): void {
  checkLittleEndian();
  const dtype = opts.dtype ?? "F32";
  if (!FLOAT_DTYPES.includes(dtype)) throw new Error(`writeSafetensors: unsupported dtype ${String(dtype)}`);
  const list = normalizeTensors(tensors).sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const metadata: Record<string, string> = { format: "pt", ...opts.metadata };
  const header = buildHeader(list, dtype, metadata);

  const tmp = `${file}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = fs.openSync(tmp, "w");
  } catch (err) {
    throw fsUserError(file, err, "write");
  }
  try {
    writeFully(fd, header, 0);
    let position = header.length;
    const scratchA = new ArrayBuffer(WRITE_CHUNK_ELEMS * 8);
    const scratchB = new ArrayBuffer(WRITE_CHUNK_ELEMS * 8);
    for (const t of list) {
      for (let start = 0; start < t.data.length; start += WRITE_CHUNK_ELEMS) {
        const k = Math.min(WRITE_CHUNK_ELEMS, t.data.length - start);
        const bytes = encodeChunk(t.data, start, k, dtype, scratchA, scratchB);
        writeFully(fd, bytes, position);
        position += bytes.length;
      }
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd >= 0) fs.closeSync(fd);
    try {
      fs.unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    throw fsUserError(file, err, "write");
  }
  fsyncDir(path.dirname(file));
}

/**
 * Saves weights as a Hugging Face model directory (created if needed): one `model.safetensors` when the tensor
 * bytes fit in `opts.maxShardBytes` (default 5 GB), else `model-0000i-of-0000N.safetensors` shards cut greedily in
 * the given tensor order (as huggingface_hub does; a tensor larger than the limit gets its own shard) plus
 * `model.safetensors.index.json` with `metadata.total_size`. Each file is written atomically, the index last; then
 * weight files of an earlier save that would shadow or confuse this one (a stale `model.safetensors`, index, or
 * `model-*-of-*.safetensors` shard) are removed.
 */
export function saveCheckpointWeights(dir: string, tensors: TensorsToWrite, opts: SaveCheckpointOptions = {}): SavedCheckpoint {
  const dtype = opts.dtype ?? "F32";
  const maxShardBytes = opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!(maxShardBytes > 0)) throw new Error(`saveCheckpointWeights: maxShardBytes must be positive, got ${maxShardBytes}`);
  const list = normalizeTensors(tensors);
  const writeOpts: WriteSafetensorsOptions = { dtype, ...(opts.metadata === undefined ? {} : { metadata: opts.metadata }) };
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fsUserError(dir, err, "write");
  }

  const elemBytes = safeDTypeBytes(dtype);
  const shards: TensorToWrite[][] = [];
  let current: TensorToWrite[] = [];
  let currentBytes = 0;
  let totalBytes = 0;
  for (const t of list) {
    const bytes = t.data.length * elemBytes;
    totalBytes += bytes;
    if (bytes > maxShardBytes) {
      shards.push([t]);
      continue;
    }
    if (currentBytes + bytes > maxShardBytes && current.length > 0) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(t);
    currentBytes += bytes;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);

  const keep = new Set<string>();
  let result: SavedCheckpoint;
  if (shards.length === 1) {
    const file = path.join(dir, SAFE_WEIGHTS_NAME);
    writeSafetensors(file, list, writeOpts);
    keep.add(SAFE_WEIGHTS_NAME);
    result = { files: [file], index: null, totalBytes };
  } else {
    const files: string[] = [];
    const weightMap: Record<string, string> = {};
    const pad = (i: number): string => String(i).padStart(5, "0");
    shards.forEach((shard, i) => {
      const name = `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
      const file = path.join(dir, name);
      writeSafetensors(file, shard, writeOpts);
      for (const t of shard) weightMap[t.name] = name;
      keep.add(name);
      files.push(file);
    });
    const sortedMap: Record<string, string> = {};
    for (const k of Object.keys(weightMap).sort()) sortedMap[k] = weightMap[k]!;
    const index = { metadata: { total_size: totalBytes }, weight_map: sortedMap };
    const indexFile = path.join(dir, SAFE_WEIGHTS_INDEX_NAME);
    writeFileAtomic(indexFile, JSON.stringify(index, null, 2) + "\n");
    keep.add(SAFE_WEIGHTS_INDEX_NAME);
    result = { files, index: indexFile, totalBytes };
  }
  removeStaleWeights(dir, keep);
  return result;
}

function removeStaleWeights(dir: string, keep: ReadonlySet<string>): void {
  const stale = /^(model\.safetensors|model\.safetensors\.index\.json|model-\d{5}-of-\d{5}\.safetensors)$/;
  for (const name of fs.readdirSync(dir)) {
    if (stale.test(name) && !keep.has(name)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

function normalizeTensors(tensors: TensorsToWrite): TensorToWrite[] {
  const list: TensorToWrite[] =
    tensors instanceof Map
      ? [...(tensors as ReadonlyMap<string, { shape: readonly number[]; data: Float32Array | Float64Array }>)].map(
          ([name, t]) => ({ name, shape: t.shape, data: t.data }),
        )
      : [...(tensors as readonly TensorToWrite[])];
  const seen = new Set<string>();
  for (const t of list) {
    if (t.name === "__metadata__") throw new Error(`writeSafetensors: "__metadata__" is not a valid tensor name`);
    if (seen.has(t.name)) throw new Error(`writeSafetensors: duplicate tensor name "${t.name}"`);
    seen.add(t.name);
    if (!t.shape.every((d) => isCount(d))) throw new Error(`writeSafetensors: tensor "${t.name}" has invalid shape [${t.shape.join(", ")}]`);
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) {
      throw new Error(
        `writeSafetensors: tensor "${t.name}" has shape [${t.shape.join(", ")}] (${numel} elements) but ${t.data.length} values`,
      );
    }
  }
  return list;
}

/** The 8-byte length prefix plus the JSON header, padded with spaces so the data starts 8-byte aligned. */
function buildHeader(list: readonly TensorToWrite[], dtype: SafeDType, metadata: Record<string, string>): Buffer {
  // Built by hand so the key order is exactly ours (JS objects put integer-like keys first).
  const meta = Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  const parts = [`"__metadata__":{${meta.join(",")}}`];
  const elemBytes = safeDTypeBytes(dtype);
  let offset = 0;
  for (const t of list) {
    const end = offset + t.data.length * elemBytes;
    parts.push(
      `${JSON.stringify(t.name)}:{"dtype":"${dtype}","shape":[${t.shape.join(",")}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = Buffer.from(`{${parts.join(",")}}`, "utf8");
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}

/** Encodes `data[start, start + k)` as `dtype`, returning bytes to write (a view of `data` or of a scratch buffer). */
function encodeChunk(
  data: Float32Array | Float64Array,
  start: number,
  k: number,
  dtype: SafeDType,
  scratchA: ArrayBuffer,
  scratchB: ArrayBuffer,
): Uint8Array {
  const bytesPer = data.BYTES_PER_ELEMENT;
  if ((dtype === "F32" && data instanceof Float32Array) || (dtype === "F64" && data instanceof Float64Array)) {
    return new Uint8Array(data.buffer, data.byteOffset + start * bytesPer, k * bytesPer);
  }
  const slice = data.subarray(start, start + k);
  if (dtype === "F32") {
    new Float32Array(scratchA, 0, k).set(slice); // float64 -> float32, round to nearest even
    return new Uint8Array(scratchA, 0, k * 4);
  }
  if (dtype === "F64") {
    new Float64Array(scratchA, 0, k).set(slice);
    return new Uint8Array(scratchA, 0, k * 8);
  }
  const out = new Uint16Array(scratchB, 0, k);
  if (dtype === "F16" && data instanceof Float64Array) {
    const words = new Uint32Array(data.buffer, data.byteOffset + start * 8, 2 * k);
    for (let i = 0; i < k; i++) out[i] = f64ToF16Bits(data[start + i]!, words[2 * i + 1]!);
    return new Uint8Array(scratchB, 0, k * 2);
  }
  // The float32 bits of the chunk (float64 input rounds to float32 first, as PyTorch's bfloat16 cast does).
  let bits: Uint32Array;
  if (data instanceof Float32Array) {
    bits = new Uint32Array(data.buffer, data.byteOffset + start * 4, k);
  } else {
    new Float32Array(scratchA, 0, k).set(slice);
    bits = new Uint32Array(scratchA, 0, k);
  }
  if (dtype === "BF16") {
    for (let i = 0; i < k; i++) {
      const u = bits[i]!;
      // c10::BFloat16 round_to_nearest_even: NaN -> 0x7FC0, else add 0x7FFF + lsb and truncate.
      out[i] = (u & 0x7fffffff) > 0x7f800000 ? 0x7fc0 : (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
    }
  } else {
    for (let i = 0; i < k; i++) out[i] = f32BitsToF16Bits(bits[i]!);
  }
  return new Uint8Array(scratchB, 0, k * 2);
}

// ---------------------------------------------------------------------------------------------------------------
// Float conversions

let f16BitsTable: Int32Array | undefined;
let bf16FloatTable: Float32Array | undefined;

/** float32 bit pattern of every float16 bit pattern (exact: subnormals normalized, inf kept, NaN payload kept). */
function f16ToF32BitsTable(): Int32Array {
  if (f16BitsTable !== undefined) return f16BitsTable;
  const t = new Int32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = f16BitsToF32Bits(h);
  return (f16BitsTable = t);
}

function f16ToF32Table(): Float32Array {
  const bits = f16ToF32BitsTable();
  return new Float32Array(bits.buffer, bits.byteOffset, bits.length);
}

function bf16ToF32Table(): Float32Array {
  if (bf16FloatTable !== undefined) return bf16FloatTable;
  const bits = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) bits[h] = h << 16;
  return (bf16FloatTable = new Float32Array(bits.buffer));
}

/** Exact float16 -> float32 bit conversion. */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let man = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (man << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (man << 13)) >>> 0;
  if (man === 0) return sign >>> 0;
  // Subnormal: value = man * 2^-24; normalize so the leading 1 is at bit 10.
  let e = 113;
  while ((man & 0x400) === 0) {
    man <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((man & 0x3ff) << 13)) >>> 0;
}

/** float32 bits -> float16 bits, round to nearest even; a port of numpy's npy_floatbits_to_halfbits. */
export function f32BitsToF16Bits(f: number): number {
  const hSgn = (f >>> 16) & 0x8000;
  const fExp = f & 0x7f800000;
  if (fExp >= 0x47800000) {
    const fSig = f & 0x007fffff;
    if (fExp === 0x7f800000 && fSig !== 0) {
      // NaN: keep the top payload bits, but make sure it stays a NaN.
      const ret = 0x7c00 + (fSig >>> 13);
      return hSgn + (ret === 0x7c00 ? 0x7c01 : ret);
    }
    return hSgn + 0x7c00; // inf, or overflow to inf
  }
  if (fExp <= 0x38000000) {
    if (fExp < 0x33000000) return hSgn; // underflow to signed zero
    let fSig = 0x00800000 + (f & 0x007fffff);
    fSig >>>= 113 - (fExp >>> 23);
    // Round half to even; the shift above may have dropped up to 11 low bits, which count as "above half".
    if ((fSig & 0x3fff) !== 0x1000 || (f & 0x7ff) !== 0) fSig += 0x1000;
    return hSgn + (fSig >>> 13); // a carry into the exponent gives the smallest normal, correctly
  }
  const hExp = (fExp - 0x38000000) >>> 13;
  let fSig = f & 0x007fffff;
  if ((fSig & 0x3fff) !== 0x1000) fSig += 0x1000;
  return hSgn + (fSig >>> 13) + hExp; // a carry rounds up the exponent, at most to inf
}

/** 2^(10 - e) for e = -14..15, exact. */
const F16_SCALE: readonly number[] = Array.from({ length: 30 }, (_, i) => 2 ** (24 - i));

/**
 * float64 -> float16 bits, round to nearest even in one step (as numpy's npy_doublebits_to_halfbits).
 * `hi` is the upper 32 bits of `x`'s IEEE representation (sign, exponent, NaN payload).
 */
function f64ToF16Bits(x: number, hi: number): number {
  const sign = (hi >>> 16) & 0x8000;
  const a = Math.abs(x);
  if (a !== a) {
    const ret = 0x7c00 + ((hi >>> 10) & 0x3ff);
    return sign + (ret === 0x7c00 ? 0x7c01 : ret);
  }
  if (a >= 65520) return sign + 0x7c00; // 65520 is halfway from 65504 to 65536 and ties to the even 65536: inf
  if (a < 6.103515625e-5) return sign + roundHalfEven(a * 16777216); // subnormal: units of 2^-24 (1024 -> min normal)
  const e = ((hi >>> 20) & 0x7ff) - 1023; // -14..15
  const m = roundHalfEven(a * F16_SCALE[e + 14]!); // 1024..2048
  return sign + ((e + 15) << 10) + (m - 1024); // 2048 carries into the exponent
}

function roundHalfEven(q: number): number {
  const f = Math.floor(q);
  const d = q - f;
  return d > 0.5 || (d === 0.5 && (f & 1) === 1) ? f + 1 : f;
}

// ---------------------------------------------------------------------------------------------------------------
// File helpers

function corrupt(file: string, detail: string): UserError {
  return new UserError(
    `${file}: truncated or corrupt safetensors file (${detail}): re-download or re-save the checkpoint`,
  );
}

function fsUserError(file: string, err: unknown, mode: "read" | "write" = "read"): unknown {
  if (err instanceof UserError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (mode === "read") {
    if (code === "ENOENT") return new UserError(`${file}: no such file: check the path`);
    if (code === "EISDIR") return new UserError(`${file}: is a directory: give a .safetensors file`);
    if (code === "EACCES" || code === "EPERM") return new UserError(`${file}: permission denied: make the file readable`);
  } else {
    if (code === "ENOENT" || code === "ENOTDIR") {
      return new UserError(`${file}: cannot write (${code}): check that the directory exists`);
    }
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
      return new UserError(`${file}: cannot write (${code}): choose a writable directory`);
    }
    if (code === "ENOSPC" || code === "EDQUOT") {
      return new UserError(`${file}: cannot write (${code}): the disk is full; free space or save elsewhere`);
    }
  }
  return err;
}

function openForRead(file: string): number {
  try {
    return fs.openSync(file, "r");
  } catch (err) {
    throw fsUserError(file, err);
  }
}

function fileSizeOf(fd: number, file: string): number {
  const st = fs.fstatSync(fd);
  if (st.isDirectory()) throw new UserError(`${file}: is a directory: give a .safetensors file`);
  return st.size;
}

/** Fills `buf` from `position`, in chunks (reads past 2 GiB are split); a short file is a UserError. */
function readFully(fd: number, file: string, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const len = Math.min(buf.length - done, IO_CHUNK_BYTES);
    const got = fs.readSync(fd, buf, done, len, position + done);
    if (got === 0) throw corrupt(file, `the file ended at byte ${position + done} while reading data`);
    done += got;
  }
}

function writeFully(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const len = Math.min(buf.length - done, IO_CHUNK_BYTES);
    done += fs.writeSync(fd, buf, done, len, position + done);
  }
}

function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fd = fs.openSync(tmp, "w");
    try {
      writeFully(fd, Buffer.from(text, "utf8"), 0);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw fsUserError(file, err, "write");
  }
  fsyncDir(path.dirname(file));
}

/** Makes a rename durable where the platform allows (directories cannot be fsynced on Windows). */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function isFloatDType(d: SafeRawDType): d is SafeDType {
  return (FLOAT_DTYPES as readonly string[]).includes(d);
}

function checkLittleEndian(): void {
  if (os.endianness() !== "LE") throw new Error("safetensors: big-endian hosts are not supported");
}
