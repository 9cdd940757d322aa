// "Did you mean" suggestions for misspelt section, option and value names.

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions ("vxaln" → "vxlan" is 1). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

// Case and '-' vs '_' are the commonest slips and never change the meaning.
function normalise(s: string): string {
  return s.toLowerCase().replaceAll('-', '_');
}

/**
 * The candidate nearest to `input`, or null when none is close enough to be a
 * plausible typo (at most one edit per three characters, and at least one).
 */
export function closest(input: string, candidates: Iterable<string>): string | null {
  const n = normalise(input);
  const limit = Math.max(1, Math.floor(n.length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === input) continue;
    const dist = editDistance(n, normalise(c));
    if (dist <= limit && dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}
