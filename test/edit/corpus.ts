// Reading ../shared/corpus for the editor tests: line 1 of every file is our provenance header
// and is dropped; everything after it is the data exactly as posted.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const corpusDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus');

export function corpusBody(relative: string): string {
  const text = fs.readFileSync(path.join(corpusDir, relative), 'utf8');
  const nl = text.indexOf('\n');
  if (!text.startsWith('# source:') || nl === -1) throw new Error(`${relative}: no provenance header on line 1`);
  return text.slice(nl + 1);
}

export function corpusFiles(category: string): string[] {
  return fs.readdirSync(path.join(corpusDir, category)).sort().map((name) => `${category}/${name}`);
}
