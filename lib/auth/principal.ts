/**
 * Who sent a request, as its API key says. `keyId` is the key's stable identity (what
 * idempotency records are scoped by); `name` is only for people and logs. Key material never
 * leaves the authenticator.
 */
export type Principal =
  | { keyId: string; name: string; role: 'admin' }
  | { keyId: string; name: string; role: 'analyst' }
  | { keyId: string; name: string; role: 'customer'; customerId: string };

// Both APIs authenticate in an onRequest hook and keep the result on the request.
declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
