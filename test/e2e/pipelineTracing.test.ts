// One command's trace across the pipeline: the command API's request span continues the
// caller's traceparent, the outbox row stores the span's own, Debezium carries it into the
// Kafka header, and every projection that applies the event records an apply span in the
// same trace, a child of the request span. Spans are collected by an in-memory exporter; the
// command API and the workers run in this process on the real stack.
import crypto from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { withWriteDatabase } from '../../lib/writeDatabase.ts';
import { config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { useTracerProvider } from '../../lib/tracing.ts';
import { allProjections } from '../../read-models/registry.ts';
import { eventCatalog, topicOf, type EventType } from '../../schemas/eventCatalog.ts';
import { CUSTOMER_KEY } from '../support/commandApiHarness.ts';
import { pipelineHarness } from '../support/pipelineHarness.ts';
import { uniqueName } from '../support/stack.ts';

// Before the harness builds the command API: its request hooks are installed when tracing is on.
const exporter = new InMemorySpanExporter();
useTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));

const h = await pipelineHarness(t);
const generation = h.newGeneration();
await h.startWorker({ generation });

const address = { name: 'Ada', line1: '1 Analytical Way', city: 'London', postalCode: 'N1', country: 'GB' };
const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex');

/** The projections whose definitions read `eventType`: each must apply it in the trace. */
function readersOf(eventType: EventType): string[] {
  return allProjections.filter((p) => p.eventTypes.includes(eventType)).map((p) => p.name).sort();
}

function spansOf(traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
}

/** Waits until the trace holds an apply span from each of `projections` for our generation. */
async function applySpans(traceId: string, projections: readonly string[]): Promise<ReadableSpan[]> {
  return pollUntil(
    `apply spans of ${projections.join(', ')} in trace ${traceId}`,
    async () => {
      const found = spansOf(traceId).filter((span) => span.kind === SpanKind.CONSUMER && span.attributes['outflow.generation'] === generation);
      return projections.every((name) => found.some((span) => span.attributes['outflow.projection'] === name)) ? found : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
}

async function outboxTraceparents(aggregateId: string): Promise<(string | null)[]> {
  const { rows } = await withWriteDatabase(config(), (client) =>
    client.query<{ traceparent: string | null }>('SELECT traceparent FROM write.outbox WHERE aggregate_id = $1 ORDER BY aggregate_version', [aggregateId]),
  );
  return rows.map((row) => row.traceparent);
}

interface WrittenEvent {
  eventId: string;
  eventType: EventType;
  aggregateId: string;
}

/** Every outbox row a command wrote: they share its traceparent (an order also moves stock). */
async function eventsWithTraceparent(traceparent: string): Promise<WrittenEvent[]> {
  const { rows } = await withWriteDatabase(config(), (client) =>
    client.query<WrittenEvent>('SELECT event_id::text AS "eventId", event_type AS "eventType", aggregate_id AS "aggregateId" FROM write.outbox WHERE traceparent = $1', [traceparent]),
  );
  return rows;
}

/** Waits until each (projection, event) pair has an apply span in the trace, for our generation. */
async function applySpansOf(traceId: string, expected: readonly { projection: string; eventId: string }[]): Promise<ReadableSpan[]> {
  return pollUntil(
    `apply spans of ${expected.map((e) => `${e.projection}/${e.eventId}`).join(', ')} in trace ${traceId}`,
    async () => {
      const found = spansOf(traceId).filter((span) => span.kind === SpanKind.CONSUMER && span.attributes['outflow.generation'] === generation);
      return expected.every((e) => found.some((span) => span.attributes['outflow.projection'] === e.projection && span.attributes['messaging.message.id'] === e.eventId)) ? found : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
}

const sku = uniqueName('traced-sku');

t.test("a command continues the caller's trace, and every projection that applies one of its events joins it", async (t) => {
  const created = await h.commands.send('POST', '/products', {
    body: { sku, name: 'Traced shoe', description: 'followed through the pipeline', category: 'tracing', brand: 'Outflow', priceCents: 1999, initialStock: 50 },
  });
  t.equal(created.statusCode, 201, created.body);

  const callerTrace = hex(16);
  const callerSpan = hex(8);
  const response = await h.commands.send('POST', '/orders', {
    key: CUSTOMER_KEY,
    body: { items: [{ sku, quantity: 2 }], shippingAddress: address },
    headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
  });
  t.equal(response.statusCode, 201, response.body);
  const orderId = response.json().aggregateId as string;

  const server = spansOf(callerTrace).filter((span) => span.kind === SpanKind.SERVER);
  t.equal(server.length, 1, 'one request span in the caller\'s trace');
  const request = server[0]!;
  t.equal(request.name, 'POST /orders');
  t.equal(request.parentSpanContext?.spanId, callerSpan, "the request span is the caller's span's child");
  t.equal(request.attributes['http.response.status_code'], 201);

  const traceparent = `00-${callerTrace}-${request.spanContext().spanId}-01`;
  t.same(await outboxTraceparents(orderId), [traceparent], "the order's outbox row carries the request span as the parent");
  const events = await eventsWithTraceparent(traceparent);
  t.ok(events.some((e) => e.eventType === 'OrderPlaced' && e.aggregateId === orderId), `the command's events: ${events.map((e) => e.eventType).join(', ')}`);

  // Every projection that reads one of the command's event types must apply it in this trace.
  const expected = events.flatMap((event) => readersOf(event.eventType).map((projection) => ({ projection, ...event })));
  t.ok(readersOf('OrderPlaced').length >= 3, `OrderPlaced is read by ${readersOf('OrderPlaced').join(', ')}`);
  const applied = await applySpansOf(callerTrace, expected);
  for (const { projection, eventId, eventType, aggregateId } of expected) {
    // Delivery is at least once: an event redelivered after a rebalance is applied (a no-op for
    // the store) and traced again, so a projection may show it more than once, never not at all.
    const spans = applied.filter((span) => span.attributes['outflow.projection'] === projection && span.attributes['messaging.message.id'] === eventId);
    t.ok(spans.length >= 1, `${projection} applied ${eventType}`);
    const span = spans[0]!;
    t.equal(span.name, `apply ${projection}`);
    t.equal(span.parentSpanContext?.spanId, request.spanContext().spanId, `${projection}/${eventType}: a child of the request span, through the Kafka header`);
    t.equal(span.attributes['outflow.event.type'], eventType);
    t.equal(span.attributes['outflow.aggregate.id'], aggregateId);
    t.equal(span.attributes['messaging.destination.name'], topicOf(eventCatalog[eventType].aggregateType));
    t.ok(span.endTime[0] * 1e3 + span.endTime[1] / 1e6 >= request.startTime[0] * 1e3 + request.startTime[1] / 1e6, `${projection}/${eventType}: applied after the request began`);
  }
  const describe = (span: ReadableSpan) => `${span.name} ${String(span.attributes['outflow.event.type'])} generation ${String(span.attributes['outflow.generation'])} offset ${String(span.attributes['messaging.kafka.offset'])}`;
  const ofTheCommand = (span: ReadableSpan) =>
    span.kind === SpanKind.CONSUMER && span.parentSpanContext?.spanId === request.spanContext().spanId &&
    expected.some((e) => e.projection === span.attributes['outflow.projection'] && e.eventId === span.attributes['messaging.message.id']);
  const trace = spansOf(callerTrace);
  t.same(trace.filter((span) => span !== request && !ofTheCommand(span)).map(describe), [], "nothing else in the trace: the request and the applies of the command's events");
  t.comment(`spans in the trace: ${trace.map(describe).join('; ')}`);
});

t.test('a command without a caller starts its own trace, followed the same way', async (t) => {
  const response = await h.commands.send('POST', '/orders', { key: CUSTOMER_KEY, body: { items: [{ sku, quantity: 1 }], shippingAddress: address } });
  t.equal(response.statusCode, 201, response.body);
  const orderId = response.json().aggregateId as string;
  const [traceparent] = await outboxTraceparents(orderId);
  t.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'a traceparent was stored');
  const traceId = traceparent!.split('-')[1]!;
  const request = spansOf(traceId).find((span) => span.kind === SpanKind.SERVER);
  t.ok(request, 'the request span is in that trace');
  t.equal(request?.parentSpanContext, undefined, 'as its root');
  const applied = await applySpans(traceId, readersOf('OrderPlaced'));
  t.ok(applied.every((span) => span.parentSpanContext?.spanId === request?.spanContext().spanId), 'every apply span is its child');
});

t.test('a refused command leaves a failed request span and nothing downstream', async (t) => {
  const callerTrace = hex(16);
  const response = await h.commands.send('POST', '/orders', {
    key: CUSTOMER_KEY,
    body: { items: [{ sku, quantity: 1_000 }], shippingAddress: address },
    headers: { traceparent: `00-${callerTrace}-${hex(8)}-01` },
  });
  t.equal(response.statusCode, 422, response.body);
  const spans = spansOf(callerTrace);
  t.equal(spans.length, 1);
  t.equal(spans[0]!.attributes['http.response.status_code'], 422);
  // The accepted order above went through every projection since: a refused one has nothing to follow.
  const report = await h.verify(generation);
  t.equal(report.differences.length, 0, 'verify: zero differences');
  t.equal(spansOf(callerTrace).length, 1, 'no apply span joined the refused command\'s trace');
});
