// Test support for code that needs real namespaces: a scratch emulated host (mount ns + net
// ns pair with a private /run/netns and /sys) under a private tmpfs /run/muon-test-<pid>-<n>,
// removed by `teardown()`; roots left by crashed runs (dead pid) are removed first.
// Not a test file itself.
import { mkdir } from 'node:fs/promises';
import type { Place } from './exec.ts';
import { makePrivate, mountTmpfs } from './mount.ts';
import { createPair, pairPlace, sweepStaleRoots, teardownRoot, type NsPair, type TeardownReport } from './netns.ts';

const PARENT = '/run';
const PREFIX = 'muon-test-';
const NETNS_SOURCE_PREFIX = 'muon-test-netns-';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const inCi = process.env.CI === 'true';

/**
 * `skip` option for root-only tests: a reason when not root and CI is unset; false
 * otherwise (under CI=true as non-root the tests run and fail, saying why).
 */
export const rootSkip: string | false = !isRoot && !inCi
  ? 'needs root (network namespaces, mounts); run as root, or with CI=true to make this a failure'
  : false;

export function assertRoot(): void {
  if (!isRoot) throw new Error('CI=true but not running as root: namespace tests need root');
}

export interface ScratchHost {
  root: string;
  pair: NsPair;
  place: Place;
  /** a Place for a nested namespace of this host */
  nested(name: string): Place;
  teardown(): Promise<TeardownReport>;
}

let seq = 0;
let swept = false;

export async function scratchHost(): Promise<ScratchHost> {
  assertRoot();
  const opts = { runNetnsPrefix: NETNS_SOURCE_PREFIX };
  if (!swept) {
    swept = true;
    await sweepStaleRoots(PARENT, PREFIX, opts);
  }
  const root = `${PARENT}/${PREFIX}${process.pid}-${seq++}`;
  await mkdir(root, { recursive: true, mode: 0o755 });
  try {
    await mountTmpfs(undefined, `${PREFIX}${process.pid}`, root, { size: '1m' });
    await makePrivate(undefined, root);
    const pair: NsPair = { mount: `${root}/host.mnt`, net: `${root}/host.net` };
    await createPair(pair, {
      detach: root,
      runNetnsSource: `${NETNS_SOURCE_PREFIX}${process.pid}`,
      sysfsSource: `${PREFIX}sysfs-${process.pid}`,
    });
    const place = pairPlace(pair);
    return {
      root,
      pair,
      place,
      nested: (name) => pairPlace(pair, name),
      teardown: () => teardownRoot(root, opts),
    };
  } catch (e) {
    await teardownRoot(root, opts).catch(() => {});
    throw e;
  }
}
