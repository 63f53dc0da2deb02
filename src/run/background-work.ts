// Work a screen started that must run to its end even when the screen is gone: a step applying,
// a rollback. When the terminal UI exits in the middle (a signal, a hung-up terminal), it waits
// for this before giving up its signal listeners, so the process is not killed halfway.
let pending = 0;
let waiters: (() => void)[] = [];

/** Count `work` as running until it settles; returns it unchanged. */
export function trackBackground<T>(work: Promise<T>): Promise<T> {
  pending += 1;
  const settled = () => {
    pending -= 1;
    if (pending > 0) return;
    const ready = waiters;
    waiters = [];
    for (const w of ready) w();
  };
  work.then(settled, settled);
  return work;
}

/** Resolves once no tracked work is running (at once when none is). */
export function backgroundIdle(): Promise<void> {
  return pending === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
}

/** Whether tracked work is running now. */
export const backgroundBusy = (): boolean => pending > 0;
