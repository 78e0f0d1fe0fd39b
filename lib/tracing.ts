// Tracing across the pipeline with OpenTelemetry: a command request's span, its traceparent
// stored with the outbox rows, carried by the connector into a Kafka header, and continued by
// each projection's apply span. Off unless the standard variables ask for it (config.tracing);
// when off no SDK is loaded and nothing on a hot path does more than read one boolean.
import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, propagation, trace, type Context, type Span, type TracerProvider } from '@opentelemetry/api';
import { W3CTraceContextPropagator, parseTraceParent } from '@opentelemetry/core';
import type { Config } from './config.ts';

// The outbox column and the Kafka header hold a W3C traceparent whatever OTEL_PROPAGATORS says
// for HTTP: the carrier between our own processes is ours to fix.
const w3c = new W3CTraceContextPropagator();

let active = false;

/** True once a tracer provider records spans in this process (startTracing or useTracerProvider). */
export function tracingActive(): boolean {
  return active;
}

/**
 * Starts the OpenTelemetry Node SDK when tracing is enabled: exporter, endpoint, protocol, sampler
 * and resource come from the standard OTEL_* variables, read by the SDK itself. Traces only:
 * metrics stay with /metrics and logs with pino. Returns the SDK's shutdown, which flushes pending spans.
 */
export async function startTracing(tracing: Config['tracing'], defaultServiceName: string): Promise<() => Promise<void>> {
  if (!tracing.enabled) return async () => {};
  // Loaded only when asked for: the SDK and its exporters (gRPC among them) cost start-up time.
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    serviceName: tracing.serviceName ?? defaultServiceName,
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  active = true;
  return async () => {
    active = false;
    await sdk.shutdown();
  };
}

/** Records spans with `provider` (an embedding program's own, or a test's in-memory exporter). */
export function useTracerProvider(provider: TracerProvider): void {
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(w3c);
  active = true;
}

/** The traceparent that makes `span` the parent of what follows it through the pipeline. */
export function traceparentOfSpan(span: Span): string | undefined {
  const carrier: Record<string, string> = {};
  w3c.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

/** `text` when it is a well-formed W3C traceparent, else undefined. */
export function validTraceparent(text: unknown): string | undefined {
  return typeof text === 'string' && text.length <= 128 && parseTraceParent(text) ? text : undefined;
}

/** The context whose remote parent is `traceparent` (ROOT_CONTEXT's when it is not valid). */
export function contextOfTraceparent(traceparent: string): Context {
  return w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
}
