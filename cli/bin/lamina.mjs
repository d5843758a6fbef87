#!/usr/bin/env node
// Runs the TypeScript CLI in this very process, tsx registered as a module hook (no build step).
// No wrapper process: the PID a shell or supervisor started is the worker, so SIGTERM/SIGINT reach
// it directly and its exit code is this process's exit code.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
