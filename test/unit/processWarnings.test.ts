// Node 24 warns about kafkajs 2.2.4's negative request-queue delay on every connection; the CLI
// drops exactly that warning and prints every other one as Node does.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { config } from '../../lib/config.ts';
import { isKafkajsNegativeDelay } from '../../lib/processWarnings.ts';

const KAFKAJS_FRAME = 'RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)';

t.test("the predicate: only TimeoutNegativeWarning raised from kafkajs's request queue", async (t) => {
  const warning = (name: string, frame: string) => Object.assign(new Error('-1796590856988 is a negative number.'), { name, stack: `${name}: x\n    at new Timeout (node:internal/timers:195:17)\n    at ${frame}` });
  t.ok(isKafkajsNegativeDelay(warning('TimeoutNegativeWarning', KAFKAJS_FRAME)));
  t.notOk(isKafkajsNegativeDelay(warning('TimeoutNegativeWarning', 'ours (/app/projectors/runtime/retryBackoff.ts:10:3)')), 'our own negative delay still warns');
  t.notOk(isKafkajsNegativeDelay(warning('DeprecationWarning', KAFKAJS_FRAME)), 'another warning from kafkajs still prints');
});

t.test("the filter in a process: kafkajs's warning dropped, any other printed by Node's own printer", async (t) => {
  // A child process, so the filter and the warnings are its own.
  const script = `
    import { quietKnownWarnings } from './lib/processWarnings.ts';
    quietKnownWarnings();
    const known = new Error('-1796590856988 is a negative number.');
    known.name = 'TimeoutNegativeWarning';
    known.stack = 'TimeoutNegativeWarning: x\\n    at new Timeout (node:internal/timers:195:17)\\n    at ${KAFKAJS_FRAME}';
    process.emitWarning(known);
    process.emitWarning('still printed', 'OtherWarning');
    await new Promise((resolve) => setTimeout(resolve, 50));
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: config().repoRoot, encoding: 'utf8', timeout: 60_000 });
  t.equal(run.status, 0, run.stderr);
  t.notMatch(run.stderr, /TimeoutNegativeWarning/, 'not printed');
  t.match(run.stderr, /\(node:\d+\) OtherWarning: still printed/, 'printed as Node prints it');
});
