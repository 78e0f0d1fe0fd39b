// The seed of a test's random generator: OUTFLOW_TEST_SEED when set, a fresh one otherwise. It
// is printed in the test's output either way, so a failure can be replayed exactly.
import type { Test } from 'tap';
import { config } from '../../lib/config.ts';

export function testSeed(t: Test, what: string): number {
  const seed = config().tests.seed ?? Date.now() % 2 ** 31;
  t.comment(`${what}: seed ${seed} (OUTFLOW_TEST_SEED=${seed} replays it)`);
  return seed;
}
