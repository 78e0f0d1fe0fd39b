// Who may read what: any valid key reads the catalog and the reports; orders belong to
// their customer, and an admin key reads them all.
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../command-api/auth/principal.ts';
import { Forbidden } from '../../lib/errors.ts';

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reached without authentication');
  return request.principal;
}

export function mayReadCustomer(principal: Principal, customerId: string): boolean {
  return principal.role === 'admin' || principal.customerId === customerId;
}

export function requireCustomerAccess(request: FastifyRequest, customerId: string): void {
  if (!mayReadCustomer(principalOf(request), customerId)) throw new Forbidden("a customer key can only read its own customer's orders");
}
