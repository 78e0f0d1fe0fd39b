// Tracing as an operator switches it on: the command API process, started by the CLI with only
// the standard OTEL_* variables, exports its spans over OTLP (HTTP, JSON encoding) to a
// collector: here an HTTP server in this test that keeps what it receives. Without the
// variables the same process exports nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import t, { type Test } from 'tap';
import { config } from '../../lib/config.ts';
import { pollUntil } from '../../lib/pollUntil.ts';
import { ensureStack, uniqueName } from '../support/stack.ts';

await ensureStack('postgres', 'registry');
const cfg = config();
const ADMIN = 'tracing-export-admin-key-0123456789';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}
interface Export {
  resource: Record<string, string | undefined>;
  spans: OtlpSpan[];
}

/** A collector's OTLP/HTTP traces endpoint, keeping every request's resource and spans. */
async function collector(): Promise<{ url: string; exports: Export[]; close(): Promise<void> }> {
  const exports: Export[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const { resource, scopeSpans } of body.resourceSpans) {
          exports.push({
            resource: Object.fromEntries(resource.attributes.map((a) => [a.key, a.value.stringValue])),
            spans: scopeSpans.flatMap((scope) => scope.spans),
          });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `outflow command-api` with the given extra environment, once it answers /health/ready. */
async function commandApi(t: Test, env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [path.join(cfg.repoRoot, 'bin', 'outflow.js'), 'command-api'], {
    cwd: cfg.repoRoot,
    env: { ...process.env, OUTFLOW_COMMAND_API_PORT: String(port), OUTFLOW_API_KEYS: `tracing-admin=${ADMIN}:admin`, OUTFLOW_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.teardown(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  await pollUntil(`the command API on ${url}: ${stderr}`, async () => {
    if (child.exitCode !== null) throw new Error(`command-api exited ${child.exitCode}: ${stderr}`);
    return (await fetch(`${url}/health/ready`).catch(() => undefined))?.ok ? true : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200 });
  return url;
}

async function createProduct(url: string, traceparent: string): Promise<Response> {
  return fetch(`${url}/products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', traceparent },
    body: JSON.stringify({ sku: uniqueName('otlp-sku'), name: 'Exported shoe', description: 'a span over OTLP', category: 'tracing', brand: 'Outflow', priceCents: 100, initialStock: 1 }),
  });
}

const otel = await collector();
t.teardown(() => otel.close());

t.test('OTEL_TRACES_EXPORTER=otlp and an endpoint: the request span reaches the collector', async (t) => {
  const url = await commandApi(t, {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_ENDPOINT: otel.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  const traceId = crypto.randomBytes(16).toString('hex');
  const parent = crypto.randomBytes(8).toString('hex');
  const response = await createProduct(url, `00-${traceId}-${parent}-01`);
  t.equal(response.status, 201, await response.text());
  const exported = await pollUntil('the span at the collector', async () => {
    for (const batch of otel.exports) {
      const span = batch.spans.find((s) => s.traceId === traceId && s.name === 'POST /products');
      if (span) return { span, resource: batch.resource };
    }
    return undefined;
  }, { timeoutMs: 30_000, intervalMs: 100 });
  t.equal(exported.span.parentSpanId, parent, "a child of the caller's span");
  t.equal(exported.resource['service.name'], 'outflow-command-api', 'named after the service unless OTEL_SERVICE_NAME says otherwise');
  const status = exported.span.attributes.find((a) => a.key === 'http.response.status_code')?.value.intValue;
  t.equal(Number(status), 201);
});

t.test('without the variables nothing is exported', async (t) => {
  const before = otel.exports.length;
  // The endpoint alone would switch tracing on; here the exporter is 'none'.
  const url = await commandApi(t, { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: otel.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' });
  const response = await createProduct(url, `00-${crypto.randomBytes(16).toString('hex')}-${crypto.randomBytes(8).toString('hex')}-01`);
  t.equal(response.status, 201, await response.text());
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  t.equal(otel.exports.length, before, 'the collector received nothing');
});
