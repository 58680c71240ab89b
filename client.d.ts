/**
 * Types for code that runs in the page (or the module runner), like `vite/client`:
 * add `/// <reference types="hotstate/client" />` (or `"types": ["hotstate/client"]`) to get a
 * typed `import.meta.hot.on('hotstate:update', (report) => ...)`.
 */
import type { UpdateReport } from './dist/runtime/contract.js';

declare module 'vite/types/customEvent.d.ts' {
  interface CustomEventMap {
    'hotstate:update': UpdateReport;
  }
}

export type { UpdateReport };
