// The APIs' OpenAPI documents list the error codes of lib/errorCodes.ts, each under the status
// class it is answered with; and the schemas that document the error answers, which also
// serialize them, pass every field errorReply sends. Built on a bare fastify with the route
// schema helpers both APIs use: no store is needed.
import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import t from 'tap';
import { commandSchema } from '../../command-api/http/commandRoute.ts';
import { ERROR_CODES, httpStatusesOf } from '../../lib/errorCodes.ts';
import { DependencyUnavailable, NotFound, ValidationFailed } from '../../lib/errors.ts';
import { errorReply } from '../../lib/httpErrorReply.ts';
import { readSchema } from '../../query-api/http/querySchemas.ts';

interface OpenApiResponse {
  content: { 'application/json': { schema: { properties: { error: { properties: { code: { enum: string[] } } } } } } };
}

async function documentedApi() {
  const app = Fastify();
  await app.register(swagger, {
    openapi: { info: { title: 'errors', version: '1' }, components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } } },
  });
  app.setErrorHandler(errorReply);
  app.post('/command', { schema: commandSchema('a command', {}) }, async () => {
    throw new ValidationFailed([{ field: 'body.sku', message: 'is required' }]);
  });
  app.get('/read', { schema: readSchema('a read', {}, { type: 'object' }) }, async () => {
    throw new NotFound('order', 'o-1');
  });
  app.get('/outage', { schema: readSchema('a read whose store is down', {}, { type: 'object' }) }, async () => {
    throw new DependencyUnavailable('redis', 'timeout');
  });
  app.get('/bug', { schema: readSchema('a read that fails', {}, { type: 'object' }) }, async () => {
    throw new TypeError('bad');
  });
  await app.ready();
  return app;
}

const codesWithin = (lowest: number, highest: number) =>
  ERROR_CODES.filter((code) => httpStatusesOf(code).some((status) => status >= lowest && status <= highest));

t.test("every route's documented error codes are the table's, by status class", async (t) => {
  const app = await documentedApi();
  t.teardown(() => app.close());
  const document = app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, OpenApiResponse> }>> };
  const operations = [document.paths['/command']!.post!, document.paths['/read']!.get!];
  for (const operation of operations) {
    const codesOf = (status: string) => operation.responses[status]?.content['application/json'].schema.properties.error.properties.code.enum;
    t.same(codesOf('4XX'), codesWithin(400, 499));
    t.same(codesOf('5XX'), codesWithin(500, 599));
  }
  const answered = ERROR_CODES.filter((code) => httpStatusesOf(code).length);
  t.same([...codesWithin(400, 499), ...codesWithin(500, 599)].sort(), answered.sort(), 'every code an API answers with is documented once');
  t.ok(codesWithin(400, 499).includes('OUTFLOW_ERR_BAD_REQUEST') && codesWithin(500, 599).includes('OUTFLOW_ERR_UNAVAILABLE'));
});

t.test('the error schemas pass every field of an error answer', async (t) => {
  const app = await documentedApi();
  t.teardown(() => app.close());
  const invalid = await app.inject({ method: 'POST', url: '/command', payload: {} });
  t.equal(invalid.statusCode, 400);
  t.same(invalid.json(), { error: { code: 'OUTFLOW_ERR_VALIDATION', message: 'invalid request: body.sku is required', fields: [{ field: 'body.sku', message: 'is required' }] } });
  const missing = await app.inject('/read');
  t.equal(missing.statusCode, 404);
  t.same(missing.json(), { error: { code: 'OUTFLOW_ERR_NOT_FOUND', message: 'order o-1 does not exist', details: { what: 'order', id: 'o-1' } } });
  const outage = await app.inject('/outage');
  t.equal(outage.statusCode, 503);
  t.same(outage.json(), { error: { code: 'OUTFLOW_ERR_UNAVAILABLE', message: 'redis did not answer in time; retry later', details: { dependency: 'redis', unavailability: 'timeout' } } });
  const bug = await app.inject('/bug');
  t.equal(bug.statusCode, 500);
  t.match(bug.json(), { error: { code: 'OUTFLOW_ERR_INTERNAL', message: /^internal error; see the server log for the request id \S+$/ } });
  t.same(Object.keys(bug.json().error), ['code', 'message'], 'nothing of the bug reaches the caller');
});
