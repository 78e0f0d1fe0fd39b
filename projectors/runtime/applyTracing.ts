// The projection's part of a command's trace: one CONSUMER span per applied event that carries
// a `traceparent` header (the command's, from write.outbox through the connector), from when
// the worker took the batch from Kafka until the store had written it with its checkpoint.
// The spans are made after the write, from the times it recorded, so the store's batch path is
// the same with tracing on or off; with tracing off nothing here runs.
import { SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { contextOfTraceparent, tracingActive, validTraceparent } from '../../lib/tracing.ts';
import type { ProjectionEvent } from '../projection.ts';
import { headerText, type RawMessage } from './messageDecoding.ts';

export interface AppliedEvent {
  message: RawMessage & { offset: string };
  event: ProjectionEvent;
  eventId: string;
}

export interface ApplyTiming {
  /** ms since the epoch: when the worker took the batch from Kafka (else when the write began). */
  receivedAt: number | undefined;
  writeStartedAt: number;
  writtenAt: number;
}

let tracer: Tracer | undefined;

export function traceAppliedEvents(projection: string, generation: number, applied: readonly AppliedEvent[], timing: ApplyTiming): void {
  if (!tracingActive()) return;
  tracer ??= trace.getTracer('outflow.projector');
  for (const { message, event, eventId } of applied) {
    const traceparent = validTraceparent(headerText(message.headers, 'traceparent'));
    if (traceparent === undefined) continue;
    const span = tracer.startSpan(
      `apply ${projection}`,
      {
        kind: SpanKind.CONSUMER,
        startTime: timing.receivedAt ?? timing.writeStartedAt,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': event.topic,
          'messaging.destination.partition.id': String(event.partition),
          'messaging.kafka.offset': Number(message.offset),
          'messaging.message.id': eventId,
          'outflow.projection': projection,
          'outflow.generation': generation,
          'outflow.event.type': event.type,
          'outflow.aggregate.id': event.key,
        },
      },
      contextOfTraceparent(traceparent),
    );
    span.addEvent('store write started', timing.writeStartedAt);
    span.end(timing.writtenAt);
  }
}
