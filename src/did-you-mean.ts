// "Did you mean ...?" for mistyped flags, config keys and names: the nearest candidate by edit distance.

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate nearest to `word` by edit distance, compared without case, "-" and "_" (so learningRate and
 * --learning_rate find learning_rate); null when none is within max(2, a third of the word's length).
 * `candidates` maps a spelling to compare against to the name to suggest.
 */
export function didYouMean(word: string, candidates: ReadonlyMap<string, string>): string | null {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  const w = norm(word);
  let best: string | null = null, bestD = Infinity;
  for (const [spelling, suggestion] of candidates) {
    const d = editDistance(w, norm(spelling));
    if (d < bestD) [best, bestD] = [suggestion, d];
  }
  return bestD <= Math.max(2, Math.floor(w.length / 3)) ? best : null;
}
