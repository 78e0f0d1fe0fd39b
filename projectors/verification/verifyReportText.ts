// The text `outflow verify` prints: a summary table, then each difference (up to a limit).
import { formatTable } from '../../lib/table.ts';
import type { Difference } from './difference.ts';
import type { VerifyReport } from './verifyPipeline.ts';

const show = (value: unknown) => (value === undefined ? '(absent)' : JSON.stringify(value));

export function describeDifference(d: Difference): string {
  const parked = d.parked ? ' [parked in the DLQ]' : '';
  switch (d.kind) {
    case 'missing':
      return `${d.projection}: ${d.entity} ${d.id} is missing from the read model${parked}`;
    case 'unexpected':
      return `${d.projection}: ${d.entity} ${d.id} is in the read model but not in the write model${parked}`;
    case 'mismatch':
      return `${d.projection}: ${d.entity} ${d.id} ${d.field}: expected ${show(d.expected)}, read model has ${show(d.actual)}${parked}`;
  }
}

export function verifyReportText(report: VerifyReport, maxShown: number): string {
  const { orders, paidOrders, customers, products, salesRows } = report.writeModel;
  const lines = [
    `write model: ${orders} orders (${paidOrders} with a payment), ${customers} customers, ${products} products, ${salesRows} sales day/category rows`,
    '',
    formatTable(
      ['projection', 'generation', 'parked keys', 'differences'],
      report.projections.map((p) => [p.projection, p.generation === null ? '(none)' : String(p.generation), String(p.parkedKeys.length), String(p.differences)]),
    ),
    '',
  ];
  for (const d of report.differences.slice(0, maxShown)) lines.push(describeDifference(d));
  if (report.differences.length > maxShown) lines.push(`… and ${report.differences.length - maxShown} more (--show to list more, --json for all)`);
  const rounds = report.rounds > 1 ? ` (${report.rounds} rounds)` : '';
  lines.push(`${report.differences.length} difference(s) in ${(report.durationMs / 1000).toFixed(1)} s${rounds}`);
  return lines.join('\n');
}
