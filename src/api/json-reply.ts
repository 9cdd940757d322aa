// The one JSON serializer for API replies. Neutron is Python: its integers have
// no size limit, and an IPv6 /64 holds 18446744073709551614 addresses. JS numbers
// are exact only up to 2^53, so exact counts travel as BigInt and are written
// here as their raw digits (JSON.rawJSON), never rounded through a double.

// es2024's lib does not declare JSON.rawJSON yet; Node 24 has it.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

const replacer = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? rawJSON(v.toString()) : v);

export function toJson(value: unknown): string {
  // A replacer is called for every key of every object: most replies hold no BigInt, and are
  // written without one (JSON.stringify refuses a BigInt with a TypeError: then with it).
  try {
    return JSON.stringify(value);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return JSON.stringify(value, replacer);
  }
}

/** An exact count: a plain number while it is exactly representable, a BigInt beyond. */
export function exactCount(n: bigint): number | bigint {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
