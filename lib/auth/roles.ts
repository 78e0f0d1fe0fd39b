// The roles an API key can have, mapped explicitly: a role this list does not name (a typo in a
// stored row, a role from a later release) makes no principal at all, so it can never fall
// through to another role's rights.
import type { Principal } from './principal.ts';

export const ROLES = ['admin', 'analyst', 'customer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

/**
 * The principal a key's fields describe, or undefined when they describe none: an unknown role,
 * a customer key without its customer, or a customer id on a key of another role.
 */
export function toPrincipal(keyId: string, name: string, role: string, customerId: string | null | undefined): Principal | undefined {
  switch (role) {
    case 'admin':
    case 'analyst':
      return customerId ? undefined : { keyId, name, role };
    case 'customer':
      return customerId ? { keyId, name, role, customerId } : undefined;
    default:
      return undefined;
  }
}

/** Sales reports show the whole company's revenue: not a customer's business. */
export function mayReadReports(principal: Principal): boolean {
  return principal.role === 'admin' || principal.role === 'analyst';
}

/**
 * Orders belong to their customer and an admin reads them all. An analyst reads aggregates, not
 * one customer's orders and addresses.
 */
export function mayReadCustomer(principal: Principal, customerId: string): boolean {
  if (principal.role === 'customer') return principal.customerId === customerId;
  return principal.role === 'admin';
}
