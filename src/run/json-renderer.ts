// Command events as JSON Lines (one object per line, the event's own fields) for --json
// consumers that want progress while a command runs.
import type { CommandEvent } from './events.js';
import type { TextSink } from './plain-renderer.js';

export function createJsonRenderer(out: TextSink): (event: CommandEvent) => void {
  return (e) => {
    out.write(`${JSON.stringify(e)}\n`);
  };
}
