// Formats Neutron gives meaning to inside a string: VNI/VLAN/tunnel ranges,
// physnet mappings, MAC prefixes, database URLs. Each parser throws ValueProblem
// with the expected form; the registry uses them as checks and build.ts to convert.
import type { VlanRange, VniRange } from './types.ts';
import { closest } from './did-you-mean.ts';
import type { OptionValue } from './option-spec.ts';
import { ValueProblem } from './parse-value.ts';

export const MAX_VNI = 16777215; // 2^24 - 1
export const MAX_VLAN = 4094;
export const MAX_TUNNEL_ID = 4294967295; // 2^32 - 1 (GRE keys)

function intPair(item: string, what: string, example: string): [number, number] {
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(item);
  if (!m) throw new ValueProblem(`'${item}' is not ${what}: expected min:max, e.g. ${example}`);
  return [Number(m[1]), Number(m[2])];
}

function checkBounds(item: string, min: number, max: number, lo: number, hi: number, unit: string): void {
  if (min < lo || max > hi) throw new ValueProblem(`'${item}': ${unit} must be between ${lo} and ${hi}`);
  if (min > max) throw new ValueProblem(`'${item}': the first number (${min}) is greater than the second (${max})`);
}

export function parseVniRanges(items: string[]): VniRange[] {
  return items.map((item) => {
    const [min, max] = intPair(item, 'a VNI range', '1:1000');
    checkBounds(item, min, max, 1, MAX_VNI, 'VNIs');
    return { min, max };
  });
}

export function parseTunnelRanges(items: string[]): VniRange[] {
  return items.map((item) => {
    const [min, max] = intPair(item, 'a tunnel id range', '1:1000');
    checkBounds(item, min, max, 1, MAX_TUNNEL_ID, 'tunnel ids');
    return { min, max };
  });
}

/** `physnet` (any VLAN, provider networks only) or `physnet:min:max`. */
export function parseVlanRanges(items: string[]): VlanRange[] {
  return items.map((item) => {
    const parts = item.split(':').map((p) => p.trim());
    if (parts.length === 1 && parts[0] !== '') return { physnet: parts[0] };
    if (parts.length !== 3 || parts[0] === '' || !/^\d+$/.test(parts[1]) || !/^\d+$/.test(parts[2])) {
      throw new ValueProblem(`'${item}' is not a VLAN range: expected physnet or physnet:min:max, e.g. physnet1:100:200`);
    }
    const min = Number(parts[1]);
    const max = Number(parts[2]);
    checkBounds(item, min, max, 1, MAX_VLAN, 'VLAN ids');
    return { physnet: parts[0], min, max };
  });
}

/** `physnet:target` pairs (interface or bridge); a physnet may appear once. */
export function parseMappings(items: string[], target: 'interface' | 'bridge'): Record<string, string> {
  const out: Record<string, string> = {};
  const example = target === 'interface' ? 'public:eno1' : 'public:br-ex';
  for (const item of items) {
    const at = item.indexOf(':');
    const physnet = item.slice(0, at).trim();
    const dev = item.slice(at + 1).trim();
    if (at < 0 || physnet === '' || dev === '') {
      throw new ValueProblem(`'${item}' is not a physnet:${target} mapping (e.g. ${example})`);
    }
    // Linux limits device names to 15 bytes (IFNAMSIZ - 1), without '/' or whitespace.
    if (dev.length > 15 || /[\s/:]/.test(dev)) throw new ValueProblem(`'${item}': '${dev}' is not a valid Linux ${target} name`);
    if (physnet in out) throw new ValueProblem(`physical network '${physnet}' is mapped twice ('${physnet}:${out[physnet]}' and '${item}')`);
    out[physnet] = dev;
  }
  return out;
}

export function parseNetworkMtus(map: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [physnet, text] of Object.entries(map)) {
    const mtu = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(mtu >= 68)) throw new ValueProblem(`'${physnet}:${text}': the MTU must be an integer of at least 68`);
    out[physnet] = mtu;
  }
  return out;
}

export function checkMacPrefix(mac: string): void {
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) {
    throw new ValueProblem(`'${mac}' is not a MAC address: expected six hex octets, e.g. fa:16:3e:00:00:00`);
  }
  if (parseInt(mac.slice(0, 2), 16) & 1) throw new ValueProblem(`'${mac}' is a multicast MAC (the first octet is odd); ports need unicast addresses, e.g. fa:16:3e:00:00:00`);
}

const DB_SCHEMES = ['sqlite', 'mysql', 'mariadb', 'postgresql', 'postgres'];

/** The database kinds Muon's db layer opens; SQLAlchemy driver suffixes (+pymysql) are accepted. */
export function checkDbConnection(url: string): void {
  const m = /^([A-Za-z0-9]+)(\+[A-Za-z0-9_]+)?:\/\//.exec(url);
  if (!m) throw new ValueProblem(`'${url}' is not a database URL: expected sqlite:///path, mysql://user:pass@host/db or postgresql://user:pass@host/db`);
  const scheme = m[1].toLowerCase();
  if (!DB_SCHEMES.includes(scheme)) {
    const s = closest(scheme, DB_SCHEMES);
    throw new ValueProblem(`'${scheme}' is not a supported database${s ? `; did you mean '${s}'?` : '.'} Allowed: sqlite, mysql (MariaDB), postgresql`);
  }
}

/** Adapts a throwing parser to OptionSpec.check. */
export function checkWith<T>(fn: (v: T) => unknown): (value: OptionValue) => string | null {
  return (value) => {
    try {
      fn(value as T);
      return null;
    } catch (e) {
      if (e instanceof ValueProblem) return e.message;
      throw e;
    }
  };
}
