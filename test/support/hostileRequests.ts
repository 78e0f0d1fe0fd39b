// Requests for one route, generated from its own schemas: valid ones, and valid ones with one
// part made hostile (a nasty value somewhere in the body, a parameter or a header; a missing or
// unknown field; a broken or oversized body; a wrong content type; a garbage credential).
import fc from 'fast-check';
import type { RouteInputs } from './apiRoutes.ts';
import { validValue, type Hints, type JsonSchema } from './schemaArbitrary.ts';

export interface HostileRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

const MEGA = 'x'.repeat(1_000_000);

const NASTY_STRINGS = [
  'a\u0000b', '\u0000', '\ud800', 'x\udfff', '\udc00\ud800', '\u0007', '\u001b[31mred', '\u0085', '\u009f', 'line\nbreak', 'tab\there', '\r\n',
  'e\u0301\u0301\u0301\u0301', '\u0301', '\u202eevil', '\ufeff', '\ufffe', '\uffff', '😀', '\u{10ffff}', '', ' ', '%00', '%ED%A0%80',
  "'; DROP TABLE write.orders; --", '{"$gt":""}', '../../etc/passwd', '__proto__', 'constructor',
  'x'.repeat(201), 'x'.repeat(5001), MEGA,
  '0000-01-01', '0000-01-02', '9999-12-31', '10000-01-01', '2026-02-30', '2026-13-01', '2024-02-29', '2023-02-29', '1969-12-31', '2026-1-1', '-2026-01-01',
];

const NASTY_NUMBERS = [
  0, -0, -1, 1.5, 0.1, 1e-7, 9008, 10_000, 10_001, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 1_000_000_000, 1_000_000_001, 1_000_000_000_000,
  Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER, 1e21, 1e308, -1e308,
];

const NASTY_OTHERS: unknown[] = [null, true, false, [], {}, [1, 1], ['a', 'a'], { a: 1 }, '1', 'true', 'null'];

export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY_NUMBERS) },
  { weight: 1, arbitrary: fc.constantFrom(...NASTY_OTHERS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
);

const BROKEN_BODIES = ['{', '{"a":', 'nul', '\u0000', '[]', '""', '1', 'null', '{"sku":"a","sku":"b"}', '{"__proto__":{"admin":true}}', '\ud800', `"${MEGA}"`, '{}'.repeat(2)];

const CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/jsonx', '', 'x'.repeat(2000)];

const GARBAGE_HEADER_VALUES = [
  'Bearer', 'Bearer ', `Bearer ${'k'.repeat(100_000)}`, 'Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'bearer  x', 'Bearer \u00ff\u00fe', '"1"', 'W/"-1"', '*', '9'.repeat(100),
  '-5', '1e3', '0x10', ' 1', '1.5', 'NaN', 'Infinity', '', 'x'.repeat(100_000), '\t',
];

type Step = (string | number)[];

/** Every place in a value a mutation can reach: the value itself, each property, each item. */
function steps(value: unknown, at: Step = []): Step[] {
  const found: Step[] = [at];
  if (Array.isArray(value)) value.forEach((item, index) => found.push(...steps(item, [...at, index])));
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) found.push(...steps(item, [...at, key]));
  return found;
}

type Mutation = { kind: 'replace'; value: unknown } | { kind: 'delete' } | { kind: 'extra' } | { kind: 'duplicate' } | { kind: 'empty' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: nastyValue.map((value) => ({ kind: 'replace' as const, value })) },
  { weight: 1, arbitrary: fc.constantFrom<Mutation>({ kind: 'delete' }, { kind: 'extra' }, { kind: 'duplicate' }, { kind: 'empty' }) },
);

function mutate(value: unknown, pick: number, change: Mutation): unknown {
  const reachable = steps(value);
  const path = reachable[pick % reachable.length]!;
  const copy = structuredClone(value ?? {}) as Record<string | number, unknown>;
  if (path.length === 0) return change.kind === 'replace' ? change.value : change.kind === 'empty' ? {} : copy;
  const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((node, step) => node[step] as Record<string | number, unknown>, copy);
  const last = path[path.length - 1]!;
  if (change.kind === 'replace') parent[last] = change.value;
  else if (change.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (change.kind === 'extra' && parent[last] && typeof parent[last] === 'object' && !Array.isArray(parent[last])) (parent[last] as Record<string, unknown>).unexpected = 1;
  else if (change.kind === 'duplicate' && Array.isArray(parent[last])) (parent[last] as unknown[]).push(...(parent[last] as unknown[]));
  else if (change.kind === 'empty') parent[last] = Array.isArray(parent[last]) ? [] : '';
  return copy;
}

/** Percent-encodes text; a lone surrogate goes out as the bytes a careless client would send. */
function percentEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    // URIError: the text holds a lone surrogate.
  }
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    out += code >= 0xd800 && code <= 0xdfff ? [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('') : encodeURIComponent(char);
  }
  return out;
}

const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value) ?? '');

/** What an HTTP parser lets through in a header value: no controls but tab, nothing past latin-1. */
const headerSafe = (value: unknown): string => asText(value).replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

function queryString(query: unknown): string {
  if (!query || typeof query !== 'object' || Array.isArray(query)) return query === undefined ? '' : `?${percentEncode(asText(query))}`;
  const pairs = Object.entries(query).flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((item) => `${percentEncode(key)}=${percentEncode(asText(item))}`));
  return pairs.length ? `?${pairs.join('&')}` : '';
}

const PARTS = ['params', 'querystring', 'headers', 'body'] as const;
type Part = (typeof PARTS)[number];

export interface Credentials {
  /** Keys the API knows, the first the most used (an admin's, so most requests get past 403). */
  keys: readonly string[];
}

export function hostileRequest(route: RouteInputs, hints: Hints, { keys }: Credentials): fc.Arbitrary<HostileRequest> {
  const present = PARTS.filter((part) => route[part]);
  const values = fc.record(Object.fromEntries(present.map((part) => [part, validValue(route[part] as JsonSchema, hints)])) as Record<Part, fc.Arbitrary<unknown>>);
  const hostility = fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: fc.record({ part: fc.constantFrom(...(present.length ? present : PARTS)), pick: fc.nat(), change: mutation }) },
  );
  const authorization = fc.oneof(
    { weight: 12, arbitrary: fc.constant(`Bearer ${keys[0]}`) },
    { weight: 3, arbitrary: fc.constantFrom(...keys.slice(1).map((key) => `Bearer ${key}`)) },
    { weight: 1, arbitrary: fc.constantFrom<string | undefined>(undefined, ...GARBAGE_HEADER_VALUES) },
  );
  const envelope = fc.oneof(
    { weight: 12, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.record({ contentType: fc.constantFrom(...CONTENT_TYPES) }) },
    { weight: 1, arbitrary: fc.record({ payload: fc.constantFrom(...BROKEN_BODIES) }) },
    { weight: 1, arbitrary: fc.record({ header: fc.constantFrom('if-match', 'idempotency-key', 'x-min-version', 'x-correlation-id'), value: fc.constantFrom(...GARBAGE_HEADER_VALUES) }) },
  );
  return fc.record({ values, hostility, authorization, envelope }).map(({ values: valid, hostility: h, authorization: auth, envelope: e }) => {
    const inputs: Partial<Record<Part, unknown>> = { ...valid };
    if (h) inputs[h.part] = mutate(inputs[h.part], h.pick, h.change);
    const params = (inputs.params ?? {}) as Record<string, unknown>;
    const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => percentEncode(asText(params[name] ?? '')));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries((inputs.headers ?? {}) as Record<string, unknown>)) if (value !== undefined) headers[name] = headerSafe(value);
    if (auth !== undefined) headers.authorization = headerSafe(auth);
    if ('header' in e) headers[e.header] = headerSafe(e.value);
    const request: HostileRequest = { method: route.method, url: path + queryString(inputs.querystring), headers };
    const payload = 'payload' in e ? e.payload : inputs.body === undefined ? undefined : JSON.stringify(inputs.body);
    if (payload !== undefined) {
      request.payload = payload;
      headers['content-type'] = 'contentType' in e ? headerSafe(e.contentType) : 'application/json';
    }
    return request;
  });
}
