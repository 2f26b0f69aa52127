/**
 * Tally's browser tracker, served as /t.js (one minified IIFE; budget 3,200 bytes gzipped).
 *
 *   <script defer src="https://HOST/t.js" data-site="PUBLIC_KEY"></script>
 */
import { startTracker } from './tracker.ts';

// A second copy of the script on a page must not count everything twice.
if (!(window as { tally?: { track?: unknown } }).tally?.track) startTracker();
