#!/usr/bin/env node
// Thin shim: everything lives in the built entry point. Only this file sets the exit code.
import { run } from '../dist/main.js';

// A reader that goes away (`cce-harden check --all | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await run(process.argv.slice(2));
