// Training a GPT-2-style byte-level BPE tokenizer (Sennrich et al. 2016, "Neural Machine Translation of Rare Words
// with Subword Units"; byte-level as Radford et al. 2019) and writing it as a Hugging Face tokenizer.json that
// @huggingface/tokenizers loads. Words are counted once (GPT-2 regex split, bytes mapped to GPT-2's printable
// alphabet), then merges are learned over the unique words with incremental pair-count updates and a lazy max-heap.
// One special token, <|endoftext|> (id 0), serves as BOS, EOS and PAD. No normalizer, no chat template.
import { join } from "node:path";
import { UserError } from "../errors.js";
import { writeFileAtomic } from "../atomic-write.js";

/** The special token of every tokenizer trained here. */
export const ENDOFTEXT = "<|endoftext|>";

/** GPT-2's pre-tokenizer split (what Hugging Face's ByteLevel pre-tokenizer applies with use_regex: true). */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's bytes_to_unicode: byte b -> a printable character (printable Latin-1 bytes map to themselves). */
export function byteAlphabet(): string[] {
  const out = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return out;
}

const ALPHABET = byteAlphabet();
const encoder = new TextEncoder();

/** The pre-tokenized words of `text`, each as its bytes in the byte alphabet (e.g. " the" -> "Ġthe"). */
export function byteLevelWords(text: string): string[] {
  const words: string[] = [];
  for (const m of text.matchAll(GPT2_SPLIT)) {
    let w = "";
    for (const b of encoder.encode(m[0])) w += ALPHABET[b]!;
    words.push(w);
  }
  return words;
}

export interface BpeTrainOptions {
  /** Size of the final vocabulary, special token and 256 bytes included (>= 257). */
  vocabSize: number;
  /** A pair must occur at least this often to be merged (default 2). */
  minFrequency?: number;
}

/** A trained byte-level BPE: vocab[id] is the token's byte-alphabet string; merges in rank order. */
export interface BpeModel {
  vocab: string[];
  merges: [string, string][];
}

/** Max-heap of candidate merges: higher count first, then the lexicographically smaller (left, right) pair. */
class PairHeap {
  private readonly items: { count: number; a: number; b: number }[] = [];
  constructor(private readonly tokens: readonly string[]) {}

  get size(): number {
    return this.items.length;
  }

  private before(x: { count: number; a: number; b: number }, y: { count: number; a: number; b: number }): boolean {
    if (x.count !== y.count) return x.count > y.count;
    const t = this.tokens;
    if (x.a !== y.a) return t[x.a]! < t[y.a]!;
    return t[x.b]! < t[y.b]!;
  }

  push(count: number, a: number, b: number): void {
    const h = this.items;
    h.push({ count, a, b });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pop(): { count: number; a: number; b: number } {
    const h = this.items, top = h[0]!, last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Learns merges from documents. Ties between equally frequent pairs go to the pair whose left token, then right
 * token, sorts first (by UTF-16 code units of the byte-alphabet strings), so a corpus always gives the same merges.
 */
export function trainBpe(documents: Iterable<string>, opts: BpeTrainOptions): BpeModel {
  const minFreq = opts.minFrequency ?? 2;
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < 257)
    throw new UserError(`vocab size ${opts.vocabSize}: a byte-level BPE needs at least 257 tokens (256 bytes + ${ENDOFTEXT})`);
  const counts = new Map<string, number>();
  for (const doc of documents) for (const w of byteLevelWords(doc)) counts.set(w, (counts.get(w) ?? 0) + 1);

  const vocab = [ENDOFTEXT, ...ALPHABET];
  const idOf = new Map<string, number>(vocab.map((t, i) => [t, i]));
  const words: number[][] = [], freq: number[] = [];
  for (const [w, c] of counts) {
    words.push(Array.from(w, (ch) => idOf.get(ch)!));
    freq.push(c);
  }

  // pair key a * K + b (K bounds every id); counts and the words that (may) contain each pair
  const K = opts.vocabSize;
  const pairCount = new Map<number, number>(), where = new Map<number, Set<number>>();
  const addPairs = (wi: number, sign: 1 | -1, touched: Set<number>) => {
    const s = words[wi]!, f = sign * freq[wi]!;
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i]! * K + s[i + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + f);
      touched.add(key);
      if (sign > 0) {
        let set = where.get(key);
        if (!set) where.set(key, (set = new Set()));
        set.add(wi);
      }
    }
  };
  const heap = new PairHeap(vocab);
  const init = new Set<number>();
  for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1, init);
  for (const key of init) heap.push(pairCount.get(key)!, Math.floor(key / K), key % K);

  const merges: [string, string][] = [];
  while (vocab.length < opts.vocabSize && heap.size > 0) {
    const top = heap.pop();
    const key = top.a * K + top.b, current = pairCount.get(key) ?? 0;
    if (current !== top.count) continue; // stale entry: the current count has its own entry
    if (current < minFreq) break;
    const z = vocab.length, merged = vocab[top.a]! + vocab[top.b]!;
    vocab.push(merged);
    idOf.set(merged, z);
    merges.push([vocab[top.a]!, vocab[top.b]!]);
    const touched = new Set<number>();
    for (const wi of where.get(key) ?? []) {
      const s = words[wi]!;
      let has = false;
      for (let i = 0; i + 1 < s.length; i++) if (s[i] === top.a && s[i + 1] === top.b) { has = true; break; }
      if (!has) continue;
      addPairs(wi, -1, touched);
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === top.a && s[i + 1] === top.b) {
          out.push(z);
          i++;
        } else out.push(s[i]!);
      }
      words[wi] = out;
      addPairs(wi, 1, touched);
    }
    where.delete(key);
    for (const k of touched) {
      const c = pairCount.get(k)!;
      if (c > 0) heap.push(c, Math.floor(k / K), k % K);
      else pairCount.delete(k);
    }
  }
  return { vocab, merges };
}

/** Encodes text with a trained model, GPT-2's way (lowest-rank merge first within each word); no special tokens. */
export function bpeEncode(model: BpeModel, text: string): number[] {
  const rank = new Map(model.merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const idOf = new Map(model.vocab.map((t, i) => [t, i]));
  const ids: number[] = [];
  for (const w of byteLevelWords(text)) {
    let parts = Array.from(w);
    for (;;) {
      let best = -1, bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = rank.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      const a = parts[best]!, b = parts[best + 1]!, next: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(parts[i]!);
      }
      parts = next;
    }
    for (const p of parts) ids.push(idOf.get(p)!);
  }
  return ids;
}

/** The Hugging Face tokenizer.json object of a trained model. */
export function tokenizerJson(model: BpeModel): Record<string, unknown> {
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [{ id: 0, content: ENDOFTEXT, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "",
      fuse_unk: false, byte_fallback: false,
      vocab: Object.fromEntries(model.vocab.map((t, i) => [t, i])),
      merges: model.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** Writes DIR/tokenizer.json and DIR/tokenizer_config.json (each atomically). */
export function saveTokenizer(model: BpeModel, dir: string): void {
  const config = {
    tokenizer_class: "GPT2Tokenizer", bos_token: ENDOFTEXT, eos_token: ENDOFTEXT, pad_token: ENDOFTEXT,
    unk_token: ENDOFTEXT, model_max_length: 1024, add_prefix_space: false, add_bos_token: false,
    // transformers (and @huggingface/tokenizers) default this to true, which turns " 's" into "'s" on decode
    clean_up_tokenization_spaces: false,
  };
  for (const [name, obj] of [["tokenizer.json", tokenizerJson(model)], ["tokenizer_config.json", config]] as const) {
    writeFileAtomic(join(dir, name), JSON.stringify(obj) + "\n");
  }
}
