// Names and ids that go into the nft script, checked (they are identifiers and comments
// there: anything else could change its meaning), and the orderings the plan relies on.
import type { IpVersion } from '../../../domain/ip/address.ts';

export const TABLE = 'muon-sg';

export function checkId(id: string, what: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(id)) throw new Error(`invalid ${what} ${JSON.stringify(id)}`);
  return id;
}

export function checkDevice(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/.test(name)) throw new Error(`invalid device name ${JSON.stringify(name)}`);
  return name;
}

export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function setName(kind: 'rg' | 'ag', family: IpVersion, id: string): string {
  return `${kind}${family}-${checkId(id, kind === 'rg' ? 'remote group id' : 'address group id')}`;
}
