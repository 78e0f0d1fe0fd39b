// `outflow connectors list`: every declared source and every connector Kafka Connect runs, side by
// side. A connector Connect runs that no declaration names is "not declared" (left over from a
// retired source, or created by hand); a declared source Connect does not run is "not created".
import type { Config } from '../lib/config.ts';
import type { ConnectClient, ConnectorStatus } from './connectClient.ts';
import { replicationSlotState, type ReplicationSlotState } from './replicationSlot.ts';
import type { Source } from './sourceConnector.ts';

export interface ListedConnector {
  /** The declared source; null for a connector no declaration names. */
  source: string | null;
  connector: string;
  /** The connector's state, 'not created' for a declared source Connect does not run. */
  state: string;
  tasks: { id: number; state: string }[];
  declared: boolean;
  slotName: string | null;
  /** Whether the slot exists; null when not known (not declared, or unreadable). */
  slotExists: boolean | null;
  /** WAL bytes the slot trails by; null without a slot, before its first confirmation, or when unreadable. */
  slotLagBytes: number | null;
  /** Why the slot could not be read, if it could not. */
  slotError?: string;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** One row per declared source, then one per connector Connect runs that none declares. */
export async function listConnectors(config: Config, client: ConnectClient, sources: readonly Source[]): Promise<ListedConnector[]> {
  const running = await client.list();
  const declared = await Promise.all(
    sources.map(async (source): Promise<ListedConnector> => {
      const [status, slot] = await Promise.all([
        running.includes(source.connector.name) ? client.status(source.connector.name) : Promise.resolve(undefined),
        replicationSlotState(config, source).then((s): ReplicationSlotState | undefined | Error => s, (error: unknown) => new Error(reason(error))),
      ]);
      return {
        source: source.name,
        connector: source.connector.name,
        state: status?.connector.state ?? 'not created',
        tasks: tasksOf(status),
        declared: true,
        slotName: source.slot,
        slotExists: slot instanceof Error ? null : slot !== undefined,
        slotLagBytes: slot instanceof Error ? null : (slot?.lagBytes ?? null),
        ...(slot instanceof Error ? { slotError: slot.message } : {}),
      };
    }),
  );
  const known = new Set(sources.map((s) => s.connector.name));
  const undeclared = await Promise.all(
    running.filter((name) => !known.has(name)).sort().map(async (name): Promise<ListedConnector> => {
      const [status, settings] = await Promise.all([client.status(name), client.connectorConfig(name)]);
      const row: ListedConnector = { source: null, connector: name, state: status?.connector.state ?? 'gone', tasks: tasksOf(status), declared: false, slotName: null, slotExists: null, slotLagBytes: null };
      // A Debezium Postgres connector on the write server names its slot: its lag is readable too.
      const slotName = settings?.['slot.name'];
      const onWriteServer = settings?.['database.hostname'] === config.postgres.host && Number(settings?.['database.port'] ?? 5432) === config.postgres.port;
      if (!slotName || !onWriteServer) return row;
      // pg_replication_slots is the server's: any of its databases answers.
      const slot = await replicationSlotState(config, { slot: slotName, database: config.postgres.writeDatabase }).catch((error: unknown) => new Error(reason(error)));
      if (slot instanceof Error) return { ...row, slotName, slotError: slot.message };
      return { ...row, slotName, slotExists: slot !== undefined, slotLagBytes: slot?.lagBytes ?? null };
    }),
  );
  return [...declared, ...undeclared];
}

function tasksOf(status: ConnectorStatus | undefined): ListedConnector['tasks'] {
  return (status?.tasks ?? []).map((t) => ({ id: t.id, state: t.state }));
}

/** The row's cells for the table of `connectors list`. */
export function listedRow(row: ListedConnector): string[] {
  const slot = !row.slotName
    ? '-'
    : row.slotError
      ? `${row.slotName}: unreadable`
      : !row.slotExists
        ? `${row.slotName}: no slot`
        : `${row.slotName}: ${row.slotLagBytes === null ? 'nothing confirmed yet' : `${row.slotLagBytes} bytes`}`;
  return [row.source ?? 'not declared', row.connector, row.state, row.tasks.map((t) => `${t.id} ${t.state}`).join(', ') || '-', slot];
}

export const LISTED_COLUMNS = ['source', 'connector', 'state', 'tasks', 'slot lag'];
