// Command events as JSON Lines (one object per line, the event's own fields) for --json
// consumers that want progress while a command runs. Unfinished-line redraws are left out.
import type { CommandEvent } from './events.js';
import type { TextSink } from './plain-renderer.js';

export function createJsonRenderer(out: TextSink): (event: CommandEvent) => void {
  return (e) => {
    // progress redraws are for screens; the finished line comes as command-line
    if (e.type !== 'command-partial') out.write(`${JSON.stringify(e)}\n`);
  };
}
