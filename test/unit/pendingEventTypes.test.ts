// A pending event's body is typed by its event type's generated payload, without the envelope:
// tsc (npm run typecheck) refuses each @ts-expect-error line below unless it really is an error,
// so this file fails to compile the day a wrong body would be accepted.
import t from 'tap';
import type { PendingEvent } from '../../command-api/domain/pendingEvent.ts';

const shipped = { orderId: 'o-1', customerId: 'c-1', carrier: 'DHL', trackingNumber: null };

t.test('a body with exactly its schema fields is a pending event of that type', async (t) => {
  const event: PendingEvent = { type: 'OrderShipped', aggregateId: 'o-1', aggregateVersion: 2, body: shipped };
  if (event.type === 'OrderShipped') t.equal(event.body.carrier, 'DHL', 'narrowing on type narrows the body');
});

t.test('a missing, extra, mistyped or envelope field does not compile', async (t) => {
  const { trackingNumber: _, ...withoutTrackingNumber } = shipped;
  const wrong: PendingEvent[] = [
    // @ts-expect-error trackingNumber is missing
    { type: 'OrderShipped', aggregateId: 'o-1', aggregateVersion: 2, body: withoutTrackingNumber },
    // @ts-expect-error OrderShipped has no field shippedAt
    { type: 'OrderShipped', aggregateId: 'o-1', aggregateVersion: 2, body: { ...shipped, shippedAt: 1 } },
    // @ts-expect-error reason is OrderCancelled's field, not OrderShipped's
    { type: 'OrderShipped', aggregateId: 'o-1', aggregateVersion: 2, body: { ...shipped, reason: 'lost' } },
    // @ts-expect-error carrier is a string or null
    { type: 'OrderShipped', aggregateId: 'o-1', aggregateVersion: 2, body: { ...shipped, carrier: 7 } },
    // @ts-expect-error the envelope is the outbox writer's to stamp, not part of the body
    { type: 'OrderShipped', aggregateId: 'o-1', aggregateVersion: 2, body: { ...shipped, occurredAt: 0 } },
    // @ts-expect-error the body of another event type
    { type: 'OrderCancelled', aggregateId: 'o-1', aggregateVersion: 2, body: shipped },
  ];
  t.equal(wrong.length, 6);
});
