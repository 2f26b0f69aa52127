// Worker threads do not inherit the main thread's tsx loader. tsx's require hook transpiles the
// writer's TypeScript on this thread; its ESM loader would start a module-hooks thread of its own
// (one more V8 isolate, ~40 MB of RSS) for the one-time job of loading a handful of files.
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

register();
createRequire(import.meta.url)('./writer-thread.ts');
