// The consumers thread's entry: tsx registered in this thread too (module hooks are per thread), then
// the TypeScript worker, as bin/lamina.mjs does for the main thread.
import { register } from 'tsx/esm/api';

register();
await import('./consumers-worker.ts');
