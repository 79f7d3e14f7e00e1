#!/usr/bin/env node
// Thin shim: everything lives in the built entry point. Only this file sets process.exitCode.
import { run } from '../dist/main.js';

process.exitCode = await run(process.argv.slice(2));
