// The correction to kafkajs's request-queue timer: a check of the queue is scheduled only while
// requests wait, never as the 1 ms loop kafkajs 2.2.4 runs on every idle connection.
import { createRequire } from 'node:module';
import t from 'tap';
import { kafkaClient } from '../../lib/kafkaClient.ts';
import { PENDING_CHECK_INTERVAL_MS, scheduleCheckPendingRequests, type RequestQueueTimerState } from '../../lib/kafkaRequestQueueTimer.ts';

function queue(pending: number, throttledUntil = -1): RequestQueueTimerState & { checks: number } {
  const state = {
    pending: Array.from({ length: pending }, (_, i) => i),
    throttledUntil,
    throttleCheckTimeoutId: null as NodeJS.Timeout | null,
    checks: 0,
    checkPendingRequests() {
      state.checks += 1;
    },
  };
  return state;
}

/** The delay a Node timer was armed with. */
const delayOf = (timer: NodeJS.Timeout | null) => (timer as unknown as { _idleTimeout: number } | null)?._idleTimeout;

t.test('nothing waiting, never throttled: no timer (kafkajs armed one at -1 - now ms, that is 1 ms, again and again)', async (t) => {
  const q = queue(0);
  scheduleCheckPendingRequests(q);
  t.equal(q.throttleCheckTimeoutId, null);
  q.throttledUntil = Date.now() + 5_000;
  scheduleCheckPendingRequests(q);
  t.equal(q.throttleCheckTimeoutId, null, 'nor while throttled: nothing to send when it ends');
});

t.test('requests waiting: one check after the interval, which clears its timer and checks the queue', async (t) => {
  const q = queue(2);
  scheduleCheckPendingRequests(q);
  t.equal(delayOf(q.throttleCheckTimeoutId), PENDING_CHECK_INTERVAL_MS);
  const first = q.throttleCheckTimeoutId;
  scheduleCheckPendingRequests(q);
  t.equal(q.throttleCheckTimeoutId, first, 'a scheduled check is not scheduled twice');
  await new Promise((resolve) => setTimeout(resolve, PENDING_CHECK_INTERVAL_MS * 5));
  t.equal(q.checks, 1);
  t.equal(q.throttleCheckTimeoutId, null);
});

t.test('requests waiting behind a throttle: the check comes when the throttle ends', async (t) => {
  const now = Date.now();
  const q = queue(1, now + 700);
  scheduleCheckPendingRequests(q, now);
  t.equal(delayOf(q.throttleCheckTimeoutId), 700);
  clearTimeout(q.throttleCheckTimeoutId!);
});

t.test("building a client corrects the class kafkajs's connections use", async (t) => {
  const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: { scheduleCheckPendingRequests(this: RequestQueueTimerState): void } };
  kafkaClient({ kafka: { clientId: 'test', brokers: ['127.0.0.1:1'] } } as never, 'timer');
  const q = queue(0);
  RequestQueue.prototype.scheduleCheckPendingRequests.call(q);
  t.equal(q.throttleCheckTimeoutId, null, 'an idle queue arms no timer');
  const waiting = queue(1);
  RequestQueue.prototype.scheduleCheckPendingRequests.call(waiting);
  t.equal(delayOf(waiting.throttleCheckTimeoutId), PENDING_CHECK_INTERVAL_MS, 'a waiting one does');
  clearTimeout(waiting.throttleCheckTimeoutId!);
});
