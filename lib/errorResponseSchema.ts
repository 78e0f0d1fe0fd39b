// The JSON schema of an error answer (ErrorBody in lib/httpErrorReply.ts), for the route
// schemas of both APIs and so for their OpenAPI documents. Its codes are lib/errorCodes.ts's,
// split by the status class they are answered with, so the documents list exactly the codes
// a client can meet. The schema also serializes the answer: it names every field errorReply sends.
import { ERROR_CODES, httpStatusesOf, type ErrorCode } from './errorCodes.ts';

function codesAnsweredWithin(lowest: number, highest: number): ErrorCode[] {
  return ERROR_CODES.filter((code) => httpStatusesOf(code).some((status) => status >= lowest && status <= highest));
}

function errorResponseSchema(description: string, codes: readonly ErrorCode[]) {
  return {
    description,
    type: 'object',
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: codes, description: 'A stable code; docs/errors.md says what each one means.' },
          message: { type: 'string' },
          fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
          details: { type: 'object', additionalProperties: true },
        },
      },
    },
  } as const;
}

/** The error answers of every API route, by status class, to spread into its `response` schemas. */
export const errorResponses = {
  '4xx': errorResponseSchema('The request was refused; the code says why.', codesAnsweredWithin(400, 499)),
  '5xx': errorResponseSchema('The server failed, or a dependency of it is unavailable (503, with Retry-After).', codesAnsweredWithin(500, 599)),
} as const;
