// The routes of a built API and the JSON schemas of their inputs, read from its own OpenAPI
// document (which fastify derives from the registered route schemas), so a test that walks
// them covers a route added later without being told about it.
import type { FastifyInstance } from 'fastify';
import type { JsonSchema } from './schemaArbitrary.ts';

export interface RouteInputs {
  method: string;
  /** OpenAPI form, with `{name}` for each path parameter. */
  path: string;
  params?: JsonSchema;
  querystring?: JsonSchema;
  headers?: JsonSchema;
  body?: JsonSchema;
}

interface OpenApiParameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema: JsonSchema }> };
}

const LOCATION = { path: 'params', query: 'querystring', header: 'headers' } as const;

function addParameter(inputs: RouteInputs, parameter: OpenApiParameter): void {
  if (parameter.in === 'cookie') throw new Error(`apiRoutes: cookie parameter ${parameter.name} is not supported`);
  const location = LOCATION[parameter.in];
  const schema = (inputs[location] ??= { type: 'object', properties: {}, required: [] });
  schema.properties![parameter.name] = parameter.schema;
  if (parameter.required) schema.required!.push(parameter.name);
}

export async function routeInputs(app: FastifyInstance): Promise<RouteInputs[]> {
  await app.ready();
  const document = app.swagger() as { paths: Record<string, Record<string, OpenApiOperation>> };
  const routes: RouteInputs[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const inputs: RouteInputs = { method: method.toUpperCase(), path };
      for (const parameter of operation.parameters ?? []) addParameter(inputs, parameter);
      const body = operation.requestBody?.content?.['application/json']?.schema;
      if (body) inputs.body = body;
      routes.push(inputs);
    }
  }
  return routes;
}
