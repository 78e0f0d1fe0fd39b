// The test suite's own stack instance: its own data directory and its own ports, so nothing a
// test writes, kills or poisons can reach the stack a user runs with `npm start` (other data
// directory, other ports: other databases, topics, read stores, consumer groups and services).
// A second instance costs memory (about 5 GiB of JVM heaps, of the machine's 24) and a minute
// of start-up; a namespace on the user's servers would cost less, but tests that stop Redis or
// the write database, or park poison on the event topics, would then stop or poison the user's.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every listening port of the test instance: the user stack's default plus 10,000. */
const TEST_PORTS: Record<string, number> = {
  OUTFLOW_PG_PORT: 25432,
  OUTFLOW_READ_PG_PORT: 25433,
  OUTFLOW_REDIS_PORT: 26379,
  OUTFLOW_REDIS_CLUSTER_PORT: 26380,
  OUTFLOW_KAFKA_PORT: 29092,
  OUTFLOW_KAFKA_CONTROLLER_PORT: 29093,
  OUTFLOW_CONNECT_PORT: 28083,
  OUTFLOW_REGISTRY_PORT: 28081,
  OUTFLOW_ES_PORT: 29200,
  OUTFLOW_ES_TRANSPORT_PORT: 29300,
  OUTFLOW_COMMAND_API_PORT: 23000,
  OUTFLOW_QUERY_API_PORT: 23001,
  OUTFLOW_PROJECTOR_HTTP_PORT: 23100,
};

/**
 * Settings that may pass from the caller's environment into the tests: none of them says where
 * a service is. Every other OUTFLOW_* variable is dropped, so a shell set up for the user's stack
 * (OUTFLOW_REDIS_URL, OUTFLOW_PG_HOST, ...) cannot point a test at it.
 */
const PASSED_THROUGH = new Set([
  'OUTFLOW_LOG_LEVEL',
  'OUTFLOW_STACK_START_TIMEOUT_MS',
  'OUTFLOW_PG_OS_USER',
  'OUTFLOW_ES_OS_USER',
  'OUTFLOW_STACK_DIST_DIR',
  'OUTFLOW_TEST_STACK_DIR',
  'OUTFLOW_TEST_SEED',
  'OUTFLOW_TEST_ORDER_SEED',
  // Which Redis layout the test stack runs, not where: the suite passes on both.
  'OUTFLOW_REDIS_LAYOUT',
]);

/** Where the test instance keeps its data (`.stack-test/`, or OUTFLOW_TEST_STACK_DIR). */
export function testStackDir(env: NodeJS.ProcessEnv): string {
  return path.resolve(env.OUTFLOW_TEST_STACK_DIR || path.join(repoRoot, '.stack-test'));
}

/** `env` with every address pointing at the test instance; the downloads are shared with the user's stack. */
export function testStackEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('OUTFLOW_') || PASSED_THROUGH.has(name)) result[name] = value;
  }
  result.OUTFLOW_STACK_DIR = testStackDir(env);
  result.OUTFLOW_STACK_DIST_DIR = env.OUTFLOW_STACK_DIST_DIR || path.join(repoRoot, '.stack', 'dist');
  for (const [name, port] of Object.entries(TEST_PORTS)) result[name] = String(port);
  return result;
}

/** Points this process (and every process it spawns) at the test instance; idempotent. */
export function useTestStack(): void {
  const target = testStackEnvironment(process.env);
  for (const name of Object.keys(process.env)) if (!(name in target)) delete process.env[name];
  Object.assign(process.env, target);
}
