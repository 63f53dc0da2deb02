// Subscribes the pane to the engine's command events and feeds them to the pure output reducer
// in batches (src/run/event-batcher.ts): one React update per ~80 ms instead of one per line.
// Events emitted before the pane mounts are not replayed: mount it before running commands.
import { useEffect, useReducer, useRef, type Dispatch } from 'react';
import type { CommandEvent } from '../../src/run/events.js';
import { createEventBatcher } from '../../src/run/event-batcher.js';
import { initialOutputState, outputReducer, type OutputAction, type OutputState } from '../../src/run/output-model.js';

/** Where command events come from (an EventHub from src/run/events.ts satisfies it). */
export interface CommandFeed {
  subscribe(listener: (event: CommandEvent) => void): () => void;
}

export interface CommandOutputOptions {
  /** ms between line flushes (default 80) */
  batchMs?: number;
  /** lines each running command keeps for the tail (default 100) */
  tailCapacity?: number;
}

export function useCommandOutput(feed: CommandFeed, o: CommandOutputOptions = {}): [OutputState, Dispatch<OutputAction>] {
  const batchMs = o.batchMs ?? 80;
  const tailCapacity = o.tailCapacity ?? 100;
  const [state, dispatch] = useReducer(outputReducer, tailCapacity, (cap) => initialOutputState({ tailCapacity: cap }));
  // The batcher reads the mode when it trims; a ref keeps it current without resubscribing.
  const verbose = useRef(state.verbose);
  verbose.current = state.verbose;
  // The capacity follows the pane's height (it is 1 while the pane is hidden, more once shown or
  // after a resize); the batcher reads it through a ref, so a change never drops the subscription.
  const capacity = useRef(tailCapacity);
  capacity.current = tailCapacity;
  useEffect(() => {
    dispatch({ type: 'set-capacity', tailCapacity });
  }, [tailCapacity]);

  useEffect(() => {
    const batcher = createEventBatcher({
      intervalMs: batchMs,
      onFlush: (actions) => dispatch({ type: 'batch', actions }),
      keepLines: () => (verbose.current ? null : capacity.current),
    });
    const unsubscribe = feed.subscribe((e) => batcher.push(e));
    return () => {
      unsubscribe();
      batcher.dispose();
    };
  }, [feed, batchMs]);

  return [state, dispatch];
}
