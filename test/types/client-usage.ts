/// <reference types="vite/client" />
// Type test (checked by `npm test`'s typecheck): `hotstate/client` types the update event.
import type {} from '../../plugin/client.ts';

if (import.meta.hot) {
  import.meta.hot.on('hotstate:update', (report) => {
    const status: 'applied' | 'rolled-back' | 'rejected' = report.status;
    const names: string[] = report.entries.map((entry) => `${entry.name}: ${entry.outcome}`);
    // @ts-expect-error: a report has no such field
    void report.nonexistent;
    void status;
    void names;
  });
}
