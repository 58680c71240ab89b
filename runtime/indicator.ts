/**
 * The on-page update indicator, opted into with `hotstate({ indicator: true })`: a small badge in
 * the corner of the page that shows the last update's outcome, so a person sees in a second
 * whether state was kept, reset, or whether the update was refused. The plugin adds this module
 * to the page; it only listens to `hotstate:update`.
 */
import { UPDATE_EVENT, type UpdateReport } from './contract.ts';
import { summarize } from './report.ts';

const COLORS = { kept: '#1a7f37', changed: '#9a6700', failed: '#cf222e' } as const;

function tone(report: UpdateReport): keyof typeof COLORS {
  if (report.status !== 'applied') return 'failed';
  return report.entries.every((e) => e.outcome === 'kept' || e.outcome === 'replaced' || e.outcome === 'recreated') ? 'kept' : 'changed';
}

function show(report: UpdateReport): void {
  let badge = document.getElementById('hotstate-indicator');
  if (badge === null) {
    badge = document.createElement('div');
    badge.id = 'hotstate-indicator';
    badge.setAttribute('role', 'status');
    Object.assign(badge.style, {
      position: 'fixed',
      right: '12px',
      bottom: '12px',
      zIndex: '2147483646',
      font: '12px/1.4 system-ui, sans-serif',
      color: '#fff',
      padding: '6px 10px',
      borderRadius: '6px',
      boxShadow: '0 2px 8px rgba(0,0,0,.25)',
      maxWidth: '40ch',
      pointerEvents: 'none',
    });
    document.body.append(badge);
  }
  const kind = tone(report);
  badge.dataset.tone = kind;
  badge.style.background = COLORS[kind];
  badge.textContent = `hotstate · ${summarize(report)}`;
  badge.title = report.error ?? '';
}

// `import.meta.hot` must stay literal for Vite to provide it; its type comes from `vite/client`,
// which the runtime does not depend on.
// @ts-ignore
if (import.meta.hot) import.meta.hot.on(UPDATE_EVENT, (report: UpdateReport) => show(report));
