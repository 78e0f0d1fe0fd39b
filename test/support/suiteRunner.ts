// `npm test`: make sure the test suite's own stack instance is up, run every tap test file
// against it, print one summary line, and stop whatever this run started (and only that).
// The stack a user runs with `npm start` is never touched: when it is up, its data is
// fingerprinted before and after the suite, and any difference fails the run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { config as userConfig, loadConfig, type Config } from '../../lib/config.ts';
import { LocalStack } from '../../infra/local/localStack.ts';
import { migrateWriteSchema } from '../../lib/writeSchema/writeSchemaMigration.ts';
import { migratePaymentsSchema } from '../../payments/paymentsDatabase.ts';
import { applySource } from '../../connectors/applyConnector.ts';
import { recoverLostSlot } from '../../connectors/lostSlotRecovery.ts';
import { declaredSources } from '../../connectors/sourceConnector.ts';
import { ReplicationSlotAtRisk } from '../../lib/errors.ts';
import { registerCatalogSchemas } from '../../schemas/schemaRegistration.ts';
import { seededRandom } from '../../lib/seededRandom.ts';
import { summarizeTap, type TapSummary } from './tapSummary.ts';
import { coverageDirectories, coverageTable, reportCoverage, resetCoverage } from './coverageReport.ts';
import { fingerprintDifferences, fingerprintDigest, stackDataFingerprint, type StackDataFingerprint } from './stackDataFingerprint.ts';
import { testStackEnvironment } from '../../infra/local/testStackInstance.ts';

export interface SuiteOptions {
  /** Test files or globs, run in one tap run; when empty, every test file under `directory` in a shuffled order. */
  files: string[];
  /** Where the test files are when `files` is empty (default `test`). */
  directory?: string;
  /** Run without touching any stack (unit tests need no services). */
  withoutStack: boolean;
  /** Leave the test stack running afterwards, so the next run starts at once. */
  keepStack?: boolean;
  log?: (line: string) => void;
}

/**
 * The specs of everything that reads or writes the Redis read models' keys, and the whole pipeline
 * with its own workers and verify (verifyPipeline), run a second time on a Redis Cluster
 * (OUTFLOW_REDIS_LAYOUT=cluster, the test stack's 3+3 cluster): the suite passes on both layouts.
 * Not the tests that use the stack's running services (rebuildUnderLoad, queryFreshness): those
 * keep the layout they were started with. The rest of the suite does not depend on the layout, or (test/integration/
 * redis.test.ts, the query API's round-trip count) is about one server by design.
 */
export const CLUSTER_LAYOUT_FILES = [
  'test/integration/redisProjectionStore.test.ts',
  'test/integration/redisLiveReads.test.ts',
  'test/integration/read-models/order-summary.test.ts',
  'test/integration/read-models/customer-orders.test.ts',
  'test/integration/storeCheckpointCheck.test.ts',
  'test/integration/generations/storePointerSwitch.test.ts',
  'test/integration/generations/generationRegistry.test.ts',
  'test/e2e/verifyPipeline.test.ts',
];

/** The user's stack data, when every one of its infrastructure components is up; otherwise why not. */
async function userStackFingerprint(config: Config): Promise<{ fingerprint?: StackDataFingerprint; note: string }> {
  const statuses = await new LocalStack({ config, log: () => {} }).status();
  const down = statuses.filter((s) => s.health !== 'healthy');
  if (down.length === statuses.length) return { note: `the stack in ${config.stack.dir} is not running: nothing of the user's to guard` };
  if (down.length) return { note: `the stack in ${config.stack.dir} is partly down (${down.map((s) => s.name).join(', ')}): its data is not fingerprinted` };
  return { fingerprint: await stackDataFingerprint(config), note: '' };
}

/** Every `*.test.ts` under `directory`, relative to the repository, sorted. */
function testFilesUnder(repoRoot: string, directory: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.test.ts')) found.push(relative);
    }
  };
  walk(directory);
  return found.sort();
}

/** Fisher-Yates with the seeded generator: the same seed gives the same order. */
export function shuffled<T>(list: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export async function runTestSuite({ files, directory = 'test', withoutStack, keepStack = false, log = (line) => console.error(line) }: SuiteOptions): Promise<TapSummary> {
  const testEnv = testStackEnvironment(process.env);
  const testConfig = loadConfig(testEnv);
  // Every process of the run, the services and workers the tests start included, writes its coverage here.
  testEnv.NODE_V8_COVERAGE = resetCoverage(testConfig.repoRoot);
  const stack = new LocalStack({ config: testConfig });
  let runningBefore: string[] = [];
  let userBefore: StackDataFingerprint | undefined;
  if (!withoutStack) {
    const user = await userStackFingerprint(userConfig());
    userBefore = user.fingerprint;
    log(userBefore ? `the user's stack (${userConfig().stack.dir}) is up; its data fingerprint before the suite: ${fingerprintDigest(userBefore)}` : user.note);
    log(`tests run on their own stack in ${testConfig.stack.dir} (Postgres ${testConfig.postgres.port}, Kafka ${testConfig.kafka.port}, ...)`);
    runningBefore = (await stack.status()).filter((s) => s.pid !== undefined).map((s) => s.name);
    await stack.up();
    // The test stack as `npm start` leaves a user's (without the services): the write schema
    // migrated, the catalog's schemas registered, the event topics and the connector in place.
    // Every step is idempotent; the files still set up what they rely on themselves.
    await migrateWriteSchema(testConfig);
    await migratePaymentsSchema(testConfig);
    await registerCatalogSchemas(testConfig);
    await applyConnectorOnTestStack(testConfig, log);
  }
  let summary: TapSummary;
  try {
    summary = { passed: 0, failed: 0, skipped: 0, failures: [] };
    // tap sorts the files of one run; the suite must not depend on that order, so without
    // chosen files each file gets a tap run of its own, in an order shuffled afresh each time.
    let runs: { files: string[]; env: NodeJS.ProcessEnv; label: string }[] = [{ files, env: testEnv, label: '' }];
    if (files.length === 0) {
      const orderSeed = testConfig.tests.orderSeed ?? Date.now() % 2 ** 31;
      const order = shuffled(testFilesUnder(testConfig.repoRoot, directory), orderSeed);
      log(`${order.length} test files in a shuffled order: seed ${orderSeed} (OUTFLOW_TEST_ORDER_SEED=${orderSeed} repeats it)`);
      runs = order.map((file) => ({ files: [file], env: testEnv, label: '' }));
      // The other layout's pass: a stack on one server runs these again on a cluster, and back.
      const other = testConfig.redis.layout === 'cluster' ? 'single' : 'cluster';
      log(`then ${CLUSTER_LAYOUT_FILES.length} files again with OUTFLOW_REDIS_LAYOUT=${other}`);
      for (const file of CLUSTER_LAYOUT_FILES) runs.push({ files: [file], env: { ...testEnv, OUTFLOW_REDIS_LAYOUT: other }, label: ` (redis layout ${other})` });
    }
    for (const run of runs) {
      const tap = await runTap(run.files, run.env, testConfig.repoRoot);
      const part = summarizeTap(tap.output);
      if (tap.code !== 0 && part.failed === 0) {
        part.failed++;
        part.failures.push(`${run.files.join(' ') || 'tap'}${run.label}: tap exited with code ${tap.code}`);
      }
      if (run.label) part.failures = part.failures.map((failure) => `${failure}${run.label}`);
      summary.passed += part.passed;
      summary.failed += part.failed;
      summary.skipped += part.skipped;
      summary.failures.push(...part.failures);
    }
  } finally {
    if (!withoutStack && !keepStack) {
      // Services too: a test that starts them (benchSmoke) and is cut short by its time limit
      // would otherwise leave them holding the test stack's ports for the next run.
      const startedHere = [...stack.components, ...stack.optionalComponents, ...stack.services].map((c) => c.name).filter((name) => !runningBefore.includes(name));
      if (startedHere.length) await stack.down({ names: startedHere });
    }
  }
  try {
    const folders = await reportCoverage(testConfig.repoRoot);
    log(`coverage of this run (every process it started), per folder; details in ${path.join(coverageDirectories(testConfig.repoRoot).report, 'index.html')}:\n${coverageTable(folders)}`);
  } catch (error) {
    log(`coverage could not be reported: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (userBefore) {
    const differences = fingerprintDifferences(userBefore, await stackDataFingerprint(userConfig()));
    if (differences.length === 0) {
      summary.passed++;
      log(`the user's stack data is unchanged by the suite (fingerprint ${fingerprintDigest(userBefore)})`);
    } else {
      summary.failed++;
      summary.failures.push(
        `the user's stack data changed while the suite ran (a test wrote outside its own stack, or the stack was used meanwhile):\n  ${differences.join('\n  ')}`,
      );
    }
  }
  return summary;
}

function runTap(files: string[], env: NodeJS.ProcessEnv, repoRoot: string): Promise<{ code: number; output: string }> {
  const tapBin = path.join(repoRoot, 'node_modules', '.bin', 'tap');
  return new Promise((resolve, reject) => {
    const child = spawn(tapBin, ['--reporter=tap', ...files], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * Every source's connector on the suite's own stack. A test file run on its own before the suite
 * writes outbox rows with no connector in place; `connectors apply` refuses to start streaming
 * after them, and on this stack, which is the suite's alone, recovering that source (publishing
 * every outbox row its topics lack, then streaming) is what a user would be told to run.
 */
async function applyConnectorOnTestStack(testConfig: Config, log: (line: string) => void): Promise<void> {
  for (const source of declaredSources(testConfig)) {
    try {
      await applySource(testConfig, source.name, { log: () => {} });
    } catch (error) {
      if (!(error instanceof ReplicationSlotAtRisk)) throw error;
      log(`the test stack's ${source.name} connector: ${error.message}; recovering`);
      await recoverLostSlot(testConfig, source.name, { marginMs: 5 * 60_000, log: () => {} });
    }
  }
}
