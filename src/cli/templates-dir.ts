/**
 * Reads files from the package's `templates/` directory. Resolved relative to this module, so it
 * works from `dist/cli/` after a build and from `src/cli/` under vitest (both two levels below
 * the package root).
 */
import { readFile } from 'node:fs/promises';

export const TEMPLATES_DIR = new URL('../../templates/', import.meta.url);

/** Reads one template by file name (no directories: names come from render/iptables.ts). */
export async function loadTemplate(name: string): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..')) {
    throw new Error(`invalid template name ${JSON.stringify(name)}`);
  }
  return readFile(new URL(name, TEMPLATES_DIR), 'utf8');
}

/** Reads several templates into the record renderIptables takes. */
export async function loadTemplates(names: readonly string[]): Promise<Record<string, string>> {
  const texts = await Promise.all(names.map((n) => loadTemplate(n)));
  return Object.fromEntries(names.map((n, i) => [n, texts[i] ?? '']));
}
