// A command's whole write as ONE statement: the aggregates' state rows, then the outbox rows,
// then the stored idempotent answer, as data-modifying CTEs. One statement is atomic by itself,
// so the executor can send the COMMIT right behind it in the same round trip: if any part fails
// (a unique key, a version guard, a trigger), the statement wrote nothing and the transaction
// is aborted, and the pipelined COMMIT answers ROLLBACK.
//
// Order matters even inside one statement: the CTEs of a statement run in an order Postgres
// chooses, unless one reads another's output. So `state_written` reads every state step (and
// checks the UPDATEs' row counts), the outbox rows are selected FROM it, and the stored answer
// reads the outbox rows: state, then outbox, then answer, as when they were separate statements
// (a trigger on the outbox still finds the order's rows in the transaction).
import crypto from 'node:crypto';
import type pg from 'pg';

interface Step {
  name: string;
  sql: string;
  /** An UPDATE's guard: the placeholder holding how many rows it must change. */
  expectedRows?: string;
}

export class WriteStatement {
  readonly values: unknown[] = [];
  private readonly state: Step[] = [];
  private readonly after: Step[] = [];

  /** The placeholder of `value` (with a cast where Postgres cannot infer the type, as for unnest's arrays). */
  param(value: unknown, type?: string): string {
    this.values.push(value);
    return type ? `$${this.values.length}::${type}` : `$${this.values.length}`;
  }

  /** An INSERT of state rows (`... RETURNING 1`): all or nothing, a duplicate key raises. */
  insert(name: string, sql: string): void {
    this.state.push({ name, sql });
  }

  /**
   * An UPDATE of state rows that matches each row only at the version the decision read
   * (`... WHERE version = <read> RETURNING 1`): exactly `rows` must change, or the statement raises.
   */
  update(name: string, sql: string, rows: number): void {
    this.state.push({ name, sql, expectedRows: this.param(rows, 'bigint') });
  }

  /** A step after every state step: `sql` reads `state_written` (or a later step) so it runs after them. */
  then(name: string, sql: string): void {
    this.after.push({ name, sql });
  }

  /** The statement, prepared once per connection under a name derived from its text. */
  toQuery(): pg.QueryConfig {
    const guards = this.state.map(({ name, expectedRows }) =>
      expectedRows
        ? `write.expect_rows('${name}', (SELECT count(*) FROM ${name}), ${expectedRows}) AS ${name}`
        : `(SELECT count(*) FROM ${name}) AS ${name}`,
    );
    const ctes = [
      ...this.state.map(({ name, sql }) => `${name} AS (${sql})`),
      `state_written AS MATERIALIZED (SELECT ${guards.join(', ')})`,
      ...this.after.map(({ name, sql }) => `${name} AS (${sql})`),
    ];
    const last = this.after.at(-1)?.name ?? 'state_written';
    const text = `WITH ${ctes.join(',\n')}\nSELECT count(*)::int AS rows FROM ${last}`;
    return { name: statementName(text), text, values: this.values };
  }
}

const names = new Map<string, string>();

/**
 * A prepared statement's name from its text: each distinct text is parsed and planned once per
 * connection, and a name can never stand for two texts. The texts are few (one or two per
 * command kind), so the map stays small.
 */
export function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `outflow_${crypto.createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

/** A read of the first round trip, prepared like the write statement. */
export function preparedQuery(text: string, values: unknown[]): pg.QueryConfig {
  return { name: statementName(text), text, values };
}
