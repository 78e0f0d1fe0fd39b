// Who may read what: any valid key reads the catalog; sales reports (the company's revenue) need
// an admin or analyst key; orders belong to their customer, and an admin key reads them all
// (lib/auth/roles.ts says which role may what).
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../lib/auth/principal.ts';
import { mayReadCustomer, mayReadReports } from '../../lib/auth/roles.ts';
import { Forbidden } from '../../lib/errors.ts';

export { mayReadCustomer };

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reached without authentication');
  return request.principal;
}

export function requireCustomerAccess(request: FastifyRequest, customerId: string): void {
  if (!mayReadCustomer(principalOf(request), customerId)) throw new Forbidden("a customer key can only read its own customer's orders");
}

export function requireReportAccess(request: FastifyRequest): void {
  if (!mayReadReports(principalOf(request))) throw new Forbidden('sales reports need an admin or analyst key');
}
