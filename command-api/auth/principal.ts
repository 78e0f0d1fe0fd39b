/** Who sent a request, as its API key says. Key material never leaves the authenticator. */
export type Principal =
  | { name: string; role: 'admin' }
  | { name: string; role: 'customer'; customerId: string };

// Both APIs authenticate in an onRequest hook and keep the result on the request.
declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
