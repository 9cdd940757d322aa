// The api_workers of one server hear each other's writes through their primary: a worker sends
// "revision" over its IPC channel after writing, the primary passes it to every other worker
// (./server-workers.ts), and they wake their waiting agents at once, as in one process.
import { oncePerTurn, type RevisionPeer } from '../transport/revision-peer.ts';

export const REVISION_MESSAGE = 'muon.revision';

export interface RevisionMessage { muon: typeof REVISION_MESSAGE }

export const isRevisionMessage = (m: unknown): m is RevisionMessage => (m as RevisionMessage | null)?.muon === REVISION_MESSAGE;

/** The worker's side: publish to the primary, wake on what it relays. */
export function workerRelay(): RevisionPeer {
  let wake: (() => void) | undefined;
  const onMessage = (m: unknown) => { if (isRevisionMessage(m)) wake?.(); };
  process.on('message', onMessage);
  return {
    publish: oncePerTurn(() => {
      if (process.connected) process.send?.({ muon: REVISION_MESSAGE } satisfies RevisionMessage);
    }),
    listen(w) { wake = w; },
    close: async () => { process.off('message', onMessage); },
  };
}
