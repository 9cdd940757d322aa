// Bounded work per event-loop turn: a long loop (a 10,000-item bulk create, the
// rendering of its answer) gives other requests a turn between slices of it.

/** Lets timers, I/O and other requests' callbacks run before continuing. */
export const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Items per slice: small enough that one slice takes a few milliseconds. */
export const SLICE = 100;

/** fn over every item in order, yielding to the event loop after every `slice` items. */
export async function forEachSliced<T>(items: readonly T[], fn: (item: T, i: number) => void | Promise<void>, slice = SLICE): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % slice === 0) await yieldToEventLoop();
    await fn(items[i], i);
  }
}

/** fn over consecutive slices of the items, yielding to the event loop between them. */
export async function inSlices<T>(items: readonly T[], fn: (slice: T[]) => Promise<void>, slice = SLICE): Promise<void> {
  for (let i = 0; i < items.length; i += slice) {
    if (i > 0) await yieldToEventLoop();
    await fn(items.slice(i, i + slice));
  }
}
