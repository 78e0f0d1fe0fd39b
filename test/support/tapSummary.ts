// Counts test results from raw TAP as tap's runner emits it: depth 0 is one point
// per test file, depth 1 one point per `t.test(...)` inside it. A file that crashed
// before or between its tests counts as one failure of its own.

export interface TapSummary {
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
}

const POINT = /^( *)(not ok|ok) \d+(?: - (.*?))?(?: # (SKIP|TODO)\b.*| # time=.*)?$/i;

export function summarizeTap(tap: string): TapSummary {
  const summary: TapSummary = { passed: 0, failed: 0, skipped: 0, failures: [] };
  let childFailures = 0;
  let childPoints = 0;
  let currentFile = '';
  for (const line of tap.split('\n')) {
    if (line.startsWith('# Subtest: ')) currentFile = line.slice('# Subtest: '.length).trim();
    const match = POINT.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    const ok = match[2] === 'ok';
    const name = match[3] ?? '';
    const directive = match[4]?.toUpperCase();
    if (depth === 1) {
      childPoints++;
      if (directive === 'SKIP' || directive === 'TODO') summary.skipped++;
      else if (ok) summary.passed++;
      else {
        summary.failed++;
        childFailures++;
        summary.failures.push(`${currentFile}: ${name}`);
      }
    } else if (depth === 0) {
      if (directive === 'SKIP') summary.skipped++;
      else if (!ok && childFailures === 0) {
        summary.failed++;
        summary.failures.push(`${name}: the file failed outside its tests`);
      } else if (ok && childPoints === 0) {
        summary.passed++;
      }
      childFailures = 0;
      childPoints = 0;
    }
  }
  return summary;
}
