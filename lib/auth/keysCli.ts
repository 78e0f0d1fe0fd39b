// `outflow keys create|list|revoke`: stored API keys, accepted by both APIs.
import { Option, type Command } from 'commander';
import { config } from '../config.ts';
import { formatTable } from '../table.ts';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord } from './apiKeyAdmin.ts';
import { ROLES, type Role } from './roles.ts';

const iso = (date: Date | null) => (date ? date.toISOString() : '');

function keyTable(keys: readonly ApiKeyRecord[]): string {
  return formatTable(
    ['key id', 'name', 'role', 'customer', 'created', 'revoked'],
    keys.map((k) => [k.keyId, k.name, k.role, k.customerId ?? '', iso(k.createdAt), iso(k.revokedAt)]),
  );
}

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('API keys stored for both APIs (only a digest is kept; the key is shown once)');

  keys
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--name <name>', 'who or what the key is for (shown in lists and logs; need not be unique)')
    .addOption(new Option('--role <role>', 'admin: everything; analyst: read catalog and reports, write nothing; customer: its own orders').choices(ROLES).makeOptionMandatory())
    .option('--customer <customerId>', 'the customer a customer key acts for (required with --role customer, refused otherwise)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { name: string; role: Role; customer?: string; json?: boolean }, command: Command) => {
      if (options.role === 'customer' && !options.customer) command.error('error: --role customer needs --customer <customerId>');
      if (options.role !== 'customer' && options.customer) command.error(`error: --customer is only for customer keys, not ${options.role}`);
      const created = await createApiKey(config(), { name: options.name, role: options.role, ...(options.customer ? { customerId: options.customer } : {}) });
      if (options.json) {
        console.log(JSON.stringify(created));
        return;
      }
      console.log(keyTable([created]));
      console.log(`\nkey: ${created.secret}\nStore it now: it is not kept and cannot be shown again. Send it as Authorization: Bearer <key>.`);
    });

  keys
    .command('list')
    .description('list the stored keys (never the keys themselves)')
    .option('--all', 'include revoked keys')
    .option('--json', 'print the keys as JSON')
    .action(async (options: { all?: boolean; json?: boolean }) => {
      const listed = await listApiKeys(config(), { includeRevoked: options.all ?? false });
      if (options.json) console.log(JSON.stringify(listed));
      else console.log(listed.length ? keyTable(listed) : 'no stored keys');
    });

  keys
    .command('revoke')
    .description('revoke a key by its id; the APIs refuse it once their trust in it lapses (OUTFLOW_STORED_KEY_TRUST_S)')
    .argument('<keyId>', 'the key id, as `outflow keys list` shows it')
    .option('--json', 'print the revoked key as JSON')
    .action(async (keyId: string, options: { json?: boolean }) => {
      const revoked = await revokeApiKey(config(), keyId);
      if (options.json) console.log(JSON.stringify(revoked));
      else console.log(`revoked ${revoked.keyId} (${revoked.name}) at ${iso(revoked.revokedAt)}`);
    });
}
