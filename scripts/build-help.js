#!/usr/bin/env node
// Build step: renders the --help text of the program and of every command, and the version,
// into dist/help.json. bin/cce-harden.js serves `--help`, `<command> --help` and `--version`
// from it without loading the program, so asking for help costs little more than starting
// Node. The text comes from the same commander program, so it cannot drift from the real one
// (test/e2e/startup-help.test.ts compares them).
import { readFileSync, writeFileSync } from 'node:fs';
import { buildProgram } from '../dist/cli/program.js';

const root = new URL('../', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

function helpOf(command) {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
}

const program = buildProgram(version, () => {});
const help = { version: `${version}\n`, commands: { '': helpOf(program) } };
for (const command of program.commands) help.commands[command.name()] = helpOf(command);
writeFileSync(new URL('dist/help.json', root), `${JSON.stringify(help)}\n`);
