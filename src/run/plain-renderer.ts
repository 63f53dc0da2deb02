// Command events as plain text for a pipe, a log collector or --plain: every line as it comes,
// prefixed by the command's name, so interleaved output stays attributable. No escape codes.
import type { CommandEvent } from './events.js';
import { formatArgv, formatDuration } from './format-result.js';

export interface TextSink {
  write(s: string): unknown;
}

export function createPlainRenderer(out: TextSink): (event: CommandEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'command-start':
        out.write(`${e.name}: $ ${formatArgv(e.argv)}\n`);
        break;
      case 'command-line':
        out.write(`${e.name}: ${e.line}\n`);
        break;
      case 'command-partial':
        // a pipe cannot redraw a line: the finished line comes as command-line
        break;
      case 'command-cancel':
        out.write(
          e.force
            ? `${e.name}: stopping now (SIGKILL to its process group)\n`
            : `${e.name}: stopping (SIGTERM to its process group); interrupt again to force\n`,
        );
        break;
      case 'command-end':
        if (e.status === 'ok') out.write(`${e.name}: done in ${formatDuration(e.durationMs)}\n`);
        else out.write(`${(e.message ?? `${e.name}: ${e.status}`).replace(/^/gm, `${e.name}: `)}\n`);
        break;
    }
  };
}
