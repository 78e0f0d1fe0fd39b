// `outflow start` and `outflow test`: what `npm start` and `npm test` run.
import type { Command } from 'commander';
import { runTestSuite } from '../../test/support/suiteRunner.ts';
import { printStatusTable } from './cli.ts';
import { LocalStack } from './localStack.ts';
import { migrateWriteSchema } from '../../lib/writeSchema/writeSchemaMigration.ts';
import { migratePaymentsSchema } from '../../payments/paymentsDatabase.ts';
import { applyAllSources } from '../../connectors/applyConnector.ts';
import { registerCatalogSchemas } from '../../schemas/schemaRegistration.ts';

export function registerLifecycleCommands(program: Command): void {
  program
    .command('start')
    .description('bring up the whole local stack and the services, then print where everything is')
    .action(async () => {
      const begun = Date.now();
      const stack = new LocalStack();
      await stack.up();
      const { config } = stack.context;
      const log = (line: string) => console.error(line);
      const migration = await migrateWriteSchema(config);
      log(migration.applied.length ? `migrated: ${migration.applied.join(', ')}` : 'write schema up to date');
      const payments = await migratePaymentsSchema(config);
      log(payments.applied.length ? `migrated payments: ${payments.applied.join(', ')}` : 'payments schema up to date');
      const schemas = await registerCatalogSchemas(config);
      const changed = schemas.registered.filter((r) => r.action !== 'unchanged').length;
      log(`schemas: ${schemas.registered.length} subjects, ${changed} newly registered`);
      await applyAllSources(config, { log });
      await stack.up(stack.services.map((s) => s.name));
      printStatusTable(await stack.status());
      console.log(`
outflow is up in ${((Date.now() - begun) / 1000).toFixed(1)} s
  Postgres        postgres://${config.postgres.user}@${config.postgres.host}:${config.postgres.port}/${config.postgres.writeDatabase}
  Redis           ${config.redis.layout === 'cluster' ? `cluster ${config.redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}` : config.redis.url}
  Kafka           ${config.kafka.brokers.join(',')}
  Kafka Connect   ${config.connect.url}
  Registry        ${config.registry.url}
  Elasticsearch   ${config.elasticsearch.url}
  Command API     http://${config.commandApi.host}:${config.commandApi.port}  (OpenAPI: /docs/openapi.json)
  Query API       http://${config.queryApi.host}:${config.queryApi.port}  (OpenAPI: /docs/openapi.json)
  Projectors      health and metrics on ports ${config.projector.httpPort}+ (one worker per projection)
Stop it with: npx outflow stack down`);
    });

  program
    .command('test')
    .description(
      "run the test suite on its own stack instance (.stack-test/, ports 2xxxx; started if needed, stopped if started here); the stack `npm start` runs is never touched, and its data is checked unchanged afterwards",
    )
    .argument('[files...]', 'test files (default: every test/**/*.test.ts)')
    .option('--unit', 'only test/unit, without any stack')
    .option('--keep-stack', 'leave the test stack running afterwards, so the next run starts at once')
    .action(async (files: string[], options: { unit?: boolean; keepStack?: boolean }) => {
      const unit = options.unit ?? false;
      const summary = await runTestSuite({ files, directory: unit ? 'test/unit' : 'test', withoutStack: unit, keepStack: options.keepStack ?? false });
      for (const failure of summary.failures) console.error(`FAILED: ${failure}`);
      const skipped = summary.skipped ? `, ${summary.skipped} skipped` : '';
      console.log(`${summary.passed} passed, ${summary.failed} failed${skipped}`);
      if (summary.failed > 0 || summary.passed === 0) process.exitCode = 1;
    });
}
