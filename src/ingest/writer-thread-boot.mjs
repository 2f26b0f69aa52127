// Worker threads do not inherit the main thread's tsx loader: register it, then load the writer.
import { register } from 'tsx/esm/api';

register();
await import('./writer-thread.ts');
