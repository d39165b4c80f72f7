/**
 * V8 heap tuning for the whole process (main thread and workers). Imported by main.ts before
 * anything else: once koa, zod and the rest are loaded the young generation has already grown.
 *
 * V8 doubles a thread's semi-spaces (up to 16 MB each) whenever many young objects survive, and a
 * busy isolate never shrinks them again: ~30 MB resident per thread for good. Short-lived request
 * and publish garbage dies just as well in the initial 1 MB semi-spaces (docs/performance.md).
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--semi-space-growth-factor=1");
