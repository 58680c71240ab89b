import type { ReportEntry, UpdateReport } from './contract.ts';

const SYMBOL: Record<ReportEntry['outcome'], string> = {
  kept: '=',
  initialized: '+',
  reset: '!',
  dropped: '-',
  recreated: '~',
  replaced: '>',
};

/** Plain-text rendering of an update report, for terminals and logs. */
export function formatReport(report: UpdateReport): string {
  const head =
    report.status === 'applied'
      ? `[hotstate] updated ${report.id}`
      : `[hotstate] ${report.status === 'rejected' ? 'rejected' : 'rolled back'} update of ${report.id}`;
  const lines = [head];
  if (report.error !== undefined) lines.push(`  ${report.error}`);
  for (const entry of report.entries) {
    if (entry.outcome === 'replaced') continue;
    lines.push(`  ${SYMBOL[entry.outcome]} ${entry.name}: ${entry.outcome}${entry.reason === undefined ? '' : ` (${entry.reason})`}`);
  }
  return lines.join('\n');
}
