// When tracing switches on, and which traceparent a command stores with its outbox rows.
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { FastifyRequest } from 'fastify';
import t from 'tap';
import { loadConfig } from '../../lib/config.ts';
import { outboxTraceparent } from '../../lib/requestTracing.ts';
import { contextOfTraceparent, validTraceparent } from '../../lib/tracing.ts';
import { trace } from '@opentelemetry/api';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

t.test('tracing is off unless the standard variables ask for it', async (t) => {
  const enabled = (env: Record<string, string>) => loadConfig(env).tracing.enabled;
  t.equal(enabled({}), false, 'off by default');
  t.equal(enabled({ OTEL_TRACES_EXPORTER: 'otlp' }), true);
  t.equal(enabled({ OTEL_TRACES_EXPORTER: 'console' }), true);
  t.equal(enabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true, 'an OTLP endpoint alone');
  t.equal(enabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true);
  t.equal(enabled({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), false, "'none' wins over an endpoint");
  t.equal(enabled({ OTEL_TRACES_EXPORTER: 'otlp, NONE' }), false, "'none' anywhere in the list");
  t.equal(enabled({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }), false, 'OTEL_SDK_DISABLED wins');
  t.equal(enabled({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'false' }), true);
  t.equal(loadConfig({}).tracing.serviceName, undefined, 'each service names itself unless OTEL_SERVICE_NAME says');
  t.equal(loadConfig({ OTEL_SERVICE_NAME: ' orders-eu ' }).tracing.serviceName, 'orders-eu');
});

t.test('only a well-formed W3C traceparent is accepted', async (t) => {
  t.equal(validTraceparent(VALID), VALID);
  t.equal(validTraceparent(undefined), undefined);
  t.equal(validTraceparent(['a', 'b']), undefined);
  t.equal(validTraceparent('garbage'), undefined);
  t.equal(validTraceparent(VALID.toUpperCase()), undefined, 'upper-case hex');
  t.equal(validTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), undefined, 'version ff');
  t.equal(validTraceparent(`${VALID}-${'x'.repeat(200)}`), undefined, 'over-long');
  const parent = trace.getSpanContext(contextOfTraceparent(VALID));
  t.match(parent, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', isRemote: true });
});

t.test("without a request span the caller's traceparent is passed through unchanged, when well formed", async (t) => {
  const request = (headers: Record<string, unknown>, span?: unknown) => ({ headers, span }) as unknown as FastifyRequest;
  t.equal(outboxTraceparent(request({ traceparent: VALID })), VALID);
  t.equal(outboxTraceparent(request({ traceparent: 'not-a-traceparent' })), null);
  t.equal(outboxTraceparent(request({})), null);

  const span = new TracerProvider().getTracer('test').startSpan('request', {}, contextOfTraceparent(VALID));
  const stored = outboxTraceparent(request({ traceparent: VALID }, span));
  t.equal(stored, `00-4bf92f3577b34da6a3ce929d0e0e4736-${span.spanContext().spanId}-01`, "with a request span: the span's own id, in the caller's trace");
  t.not(span.spanContext().spanId, '00f067aa0ba902b7');
});
