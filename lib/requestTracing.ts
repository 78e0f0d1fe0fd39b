// One SERVER span per HTTP request of either API, continuing the caller's trace (the global
// propagator: W3C traceparent unless OTEL_PROPAGATORS says otherwise). Installed only while
// tracing is active; the command routes hand the span on to the outbox (outboxTraceparent).
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { traceparentOfSpan, tracingActive, validTraceparent } from './tracing.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's span while tracing is active. */
    span?: Span;
  }
}

/** Adds the hooks; call before any other onRequest hook, so the span covers authentication too. */
export function traceRequests(app: FastifyInstance, component: string): void {
  if (!tracingActive()) return;
  const tracer = trace.getTracer(`outflow.${component}`);
  app.decorateRequest('span', undefined);
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url ?? 'unmatched';
    request.span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': route, 'url.path': request.url.split('?')[0]!.slice(0, 200), 'outflow.request.id': request.id },
      },
      propagation.extract(ROOT_CONTEXT, request.headers),
    );
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = request.span;
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  app.addHook('onRequestAbort', async (request) => {
    request.span?.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted the request' });
    request.span?.end();
  });
}

/**
 * The traceparent to store with a command's outbox rows: the request span's while tracing is
 * active; otherwise the caller's own, passed through unchanged when well formed (W3C lets a
 * participant that does not trace forward it), so a traced caller still reaches the projections.
 */
export function outboxTraceparent(request: FastifyRequest): string | null {
  if (request.span) return traceparentOfSpan(request.span) ?? null;
  return validTraceparent(request.headers.traceparent) ?? null;
}
