// A place that serves agents from the same database as this process: the other api_workers of
// this server (src/cli/worker-relay.ts) or the other servers of the deployment
// (./revision-fanout.ts). After a write it is told to look at the outbox again, and it tells this
// process the same, so an agent long-polling anywhere hears of a write made anywhere at once
// rather than at the next fallback check of the database (src/feed/revision-watch.ts).
export interface RevisionPeer {
  /** Something was written here. Cheap and coalesced: called after every write request. */
  publish(): void;
  /** `wake` is called whenever a peer wrote something. */
  listen(wake: () => void): void;
  /** This process has agents waiting (true) or no longer (false): a peer may then skip announcements nobody needs. */
  interest?(listening: boolean): void;
  close(): Promise<void>;
}

/** `send` at most once per turn of the event loop, however many writes that turn finished. */
export function oncePerTurn(send: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    setImmediate(() => { pending = false; send(); });
  };
}
