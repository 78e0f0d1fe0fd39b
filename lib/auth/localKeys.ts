// Which configured keys a service accepts, given the address it listens on. The built-in keys
// are printed in the README and docs/security.md, so they are only safe where nobody else can connect: a service
// bound to any other address accepts only keys someone configured or created, and without any
// it does not start.
import net from 'node:net';
import type { ApiKeyConfig } from '../config.ts';
import { ConfigError } from '../errors.ts';

/** The local stack's development keys: used only when OUTFLOW_API_KEYS is unset, on loopback. */
export const LOCAL_API_KEYS: readonly ApiKeyConfig[] = Object.freeze([
  { name: 'local-admin', key: 'outflow-local-admin-key', role: 'admin' },
  { name: 'local-customer', key: 'outflow-local-customer-key', role: 'customer', customerId: 'customer-1' },
]);

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (net.isIPv6(bare)) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare)?.[1];
    return mapped ? isLoopback(mapped) : new net.SocketAddress({ address: bare, family: 'ipv6' }).address === '::1';
  }
  return net.isIPv4(bare) && bare.startsWith('127.');
}

/** The configured keys a service listening on `host` accepts. */
export function configuredKeysFor(host: string, apiKeys: readonly ApiKeyConfig[] | null): readonly ApiKeyConfig[] {
  if (apiKeys) return apiKeys;
  return isLoopback(host) ? LOCAL_API_KEYS : [];
}

/**
 * Refuses to start a service nobody could call but with keys anyone can read: bound beyond
 * loopback with neither configured nor stored keys.
 */
export function assertSomeKeyAccepted(service: string, host: string, configured: readonly ApiKeyConfig[], storedKeys: number): void {
  if (isLoopback(host) || configured.length > 0 || storedKeys > 0) return;
  throw new ConfigError(
    'OUTFLOW_API_KEYS',
    '(no keys)',
    `at least one API key: the ${service} listens on ${host}, beyond loopback, where the built-in local keys are not accepted; ` +
      'set OUTFLOW_API_KEYS (name=key:admin,...) or create a key with `outflow keys create --name <name> --role admin`',
  );
}
