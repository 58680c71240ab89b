/**
 * `hotstate/client`: types for code that runs in the page (or the module runner), like
 * `vite/client`. Add `/// <reference types="hotstate/client" />` (or `"types": ["hotstate/client"]`)
 * and `import.meta.hot.on('hotstate:update', (report) => ...)` is typed.
 */
import type { UpdateReport } from '../runtime/contract.ts';

declare module 'vite/types/customEvent.d.ts' {
  interface CustomEventMap {
    'hotstate:update': UpdateReport;
  }
}

export type { UpdateReport, ReportEntry, Outcome } from '../runtime/contract.ts';
