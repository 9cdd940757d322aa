// The api_workers of one server hear each other's writes through their primary: a worker sends
// "revision" over its IPC channel after writing, the primary passes it to every other worker
// (./server-workers.ts), and they wake their waiting agents at once, as in one process.
//
// A worker whose siblings have no agent waiting does not send: each message wakes the primary
// and every sibling, a cost per write request on a 2-core machine for nobody's benefit. The
// workers say when they start and stop having waiters ("interest"); the primary tells each how
// many others have some. A worker that skipped a write sends once as soon as it hears that
// another has started waiting (whose first look at the outbox may have come before that write).
import { oncePerTurn, type RevisionPeer } from '../transport/revision-peer.ts';

export const REVISION_MESSAGE = 'muon.revision';
export const INTEREST_MESSAGE = 'muon.revision-interest';
export const LISTENERS_MESSAGE = 'muon.revision-listeners';

export interface RevisionMessage { muon: typeof REVISION_MESSAGE }
/** worker → primary: it has agents waiting (or no longer). */
export interface InterestMessage { muon: typeof INTEREST_MESSAGE; listening: boolean }
/** primary → worker: how many other workers have agents waiting. */
export interface ListenersMessage { muon: typeof LISTENERS_MESSAGE; others: number }

export const isRevisionMessage = (m: unknown): m is RevisionMessage => (m as RevisionMessage | null)?.muon === REVISION_MESSAGE;
export const isInterestMessage = (m: unknown): m is InterestMessage => (m as InterestMessage | null)?.muon === INTEREST_MESSAGE;
const isListenersMessage = (m: unknown): m is ListenersMessage => (m as ListenersMessage | null)?.muon === LISTENERS_MESSAGE;

/** The worker's side: publish to the primary, wake on what it relays. */
export function workerRelay(): RevisionPeer {
  let wake: (() => void) | undefined;
  // until the primary says otherwise, every write is announced
  let others = Number.POSITIVE_INFINITY;
  let skipped = false;
  const send = (m: RevisionMessage | InterestMessage) => { if (process.connected) process.send?.(m); };
  const onMessage = (m: unknown) => {
    if (isRevisionMessage(m)) wake?.();
    else if (isListenersMessage(m)) {
      others = m.others;
      if (others > 0 && skipped) {
        skipped = false;
        send({ muon: REVISION_MESSAGE });
      }
    }
  };
  process.on('message', onMessage);
  return {
    publish: oncePerTurn(() => {
      if (others === 0) skipped = true;
      else send({ muon: REVISION_MESSAGE });
    }),
    interest: (listening) => send({ muon: INTEREST_MESSAGE, listening }),
    listen(w) { wake = w; },
    close: async () => { process.off('message', onMessage); },
  };
}
