// Test access to the local stack: each integration test starts what it needs
// (idempotently), so it also runs on its own with `npx tap <file>`.
import crypto from 'node:crypto';
import { LocalStack } from '../../infra/local/localStack.ts';

export async function ensureStack(...components: string[]): Promise<LocalStack> {
  const stack = new LocalStack({ log: () => {} });
  await stack.up(components);
  return stack;
}

/** A name no other test (or earlier run) uses: topics, groups, keys, indices, subjects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
}
