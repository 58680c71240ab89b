import type { ReportEntry, UpdateReport } from './contract.ts';

const SYMBOL: Record<ReportEntry['outcome'], string> = {
  kept: '=',
  initialized: '+',
  reset: '!',
  migrated: '*',
  dropped: '-',
  recreated: '~',
  replaced: '>',
};

/** One line per binding, for everything but replaced code. */
export function reportLines(report: UpdateReport): string[] {
  return report.entries
    .filter((entry) => entry.outcome !== 'replaced')
    .map((entry) => `${SYMBOL[entry.outcome]} ${entry.name}: ${entry.outcome}${entry.reason === undefined ? '' : ` (${entry.reason})`}`);
}

/** `src/a.ts: 3 kept, 1 reset` — what a person wants to see at a glance. */
export function summarize(report: UpdateReport): string {
  if (report.status !== 'applied') return `${report.id}: ${report.status === 'rejected' ? 'update rejected' : 'update rolled back'}, state unchanged`;
  const counts = new Map<string, number>();
  for (const entry of report.entries) if (entry.outcome !== 'replaced') counts.set(entry.outcome, (counts.get(entry.outcome) ?? 0) + 1);
  const parts = [...counts].map(([outcome, n]) => `${n} ${outcome}`);
  return `${report.id}: ${parts.length > 0 ? parts.join(', ') : 'code updated'}`;
}

/** Plain-text rendering of an update report, for terminals and logs. */
export function formatReport(report: UpdateReport): string {
  const head =
    report.status === 'applied'
      ? `[hotstate] updated ${report.id}`
      : `[hotstate] ${report.status === 'rejected' ? 'rejected' : 'rolled back'} update of ${report.id}`;
  const lines = [head];
  if (report.error !== undefined) lines.push(`  ${report.error}`);
  for (const line of reportLines(report)) lines.push(`  ${line}`);
  return lines.join('\n');
}

/** The report as one collapsed console group (browser devtools). */
export function logReport(report: UpdateReport, console: Pick<Console, 'groupCollapsed' | 'log' | 'warn' | 'groupEnd'>): void {
  // Three console calls whatever the module's size: each call costs while devtools are open.
  console.groupCollapsed(`[hotstate] ${summarize(report)}`);
  if (report.error !== undefined) console.warn(report.error);
  const lines = reportLines(report);
  if (lines.length > 0) console.log(lines.join('\n'));
  console.groupEnd();
}
