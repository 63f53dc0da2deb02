// Work that must not delay the first frame: started a macrotask after the commit that drew it
// (Ink writes a frame in its commit), and its result dropped once the component is gone. The
// signal is aborted then too, so what runs for it can stop.
import { useEffect } from 'react';

export function useAfterFirstFrame<T>(
  start: ((signal: AbortSignal) => Promise<T>) | undefined,
  onDone: (result: T) => void,
  onFailed: (err: unknown) => void,
): void {
  useEffect(() => {
    if (!start) return;
    let live = true;
    const stop = new AbortController();
    const timer = setTimeout(() => {
      start(stop.signal).then(
        (result) => live && onDone(result),
        (err: unknown) => live && onFailed(err),
      );
    }, 0);
    return () => {
      live = false;
      clearTimeout(timer);
      stop.abort();
    };
    // the callers pass stable callbacks; `start` names the work
  }, [start]);
}
