// A correction to kafkajs 2.2.4, applied once to its RequestQueue class before any client is
// built (lib/kafkaClient.ts). After every response, kafkajs schedules a check of its queue of
// requests waiting to be sent, at `throttledUntil - Date.now()` ms: -1 - now when the broker
// never throttled, which Node turns into 1 ms. The check finds nothing to send and schedules the
// next one the same way, so every broker connection ran a 1 ms timer for as long as it lived, idle
// or not (Node 24 warns of it once, as TimeoutNegativeWarning). kafkajs is no longer released, so
// the method is replaced here: a check is scheduled only while requests wait, at the end of the
// broker's throttle or after kafkajs's own 10 ms interval. Every path that queues a request
// schedules a check itself, and every response checks the queue, so nothing waits longer.
import { createRequire } from 'node:module';

/** kafkajs's own CHECK_PENDING_REQUESTS_INTERVAL. */
export const PENDING_CHECK_INTERVAL_MS = 10;

/** The fields of kafkajs's RequestQueue the corrected method uses. */
export interface RequestQueueTimerState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

/** The corrected scheduleCheckPendingRequests, as a function of the queue it runs on. */
export function scheduleCheckPendingRequests(queue: RequestQueueTimerState, now = Date.now()): void {
  if (queue.throttleCheckTimeoutId || queue.pending.length === 0) return;
  const untilThrottleEnds = queue.throttledUntil - now;
  queue.throttleCheckTimeoutId = setTimeout(
    () => {
      queue.throttleCheckTimeoutId = null;
      queue.checkPendingRequests();
    },
    untilThrottleEnds > 0 ? untilThrottleEnds : PENDING_CHECK_INTERVAL_MS,
  );
}

let corrected = false;

/** Replaces RequestQueue's scheduleCheckPendingRequests with the corrected one (once per process). */
export function correctKafkaRequestQueueTimer(): void {
  if (corrected) return;
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: { scheduleCheckPendingRequests(): void } };
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueTimerState) {
    scheduleCheckPendingRequests(this);
  };
  corrected = true;
}
