import t from 'tap';
import { summarizeTap } from '../support/tapSummary.ts';

const tap = `TAP version 14
# Subtest: test/unit/a.test.ts
    # Subtest: first
        ok 1 - should be equal
        1..1
    ok 1 - first # time=1ms
    # Subtest: second
        not ok 1 - should be equal
        1..1
    not ok 2 - second # time=1ms
    ok 3 - later # SKIP needs a GPU
    1..3
not ok 1 - test/unit/a.test.ts # time=5ms
# Subtest: test/unit/b.test.ts
    1..0
not ok 2 - test/unit/b.test.ts # time=5ms
# Subtest: test/unit/c.test.ts
    ok 1 - only top-level assertions
    1..1
ok 3 - test/unit/c.test.ts # time=5ms
1..3
`;

t.test('counts t.test blocks, skips, and files that crash outside their tests', async (t) => {
  const summary = summarizeTap(tap);
  t.equal(summary.passed, 2);
  t.equal(summary.failed, 2);
  t.equal(summary.skipped, 1);
  t.same(summary.failures, ['test/unit/a.test.ts: second', 'test/unit/b.test.ts: the file failed outside its tests']);
});

t.test('an empty run counts nothing', async (t) => {
  t.same(summarizeTap('TAP version 14\n1..0\n'), { passed: 0, failed: 0, skipped: 0, failures: [] });
});
