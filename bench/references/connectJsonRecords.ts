// Rows as Kafka Connect's JsonConverter reads them with schemas.enable=true: every key and
// value is a {"schema": ..., "payload": ...} envelope. The JDBC sink needs those schemas: they
// are how it names and types the columns of the table it creates. The key is a one-field
// struct, so with primary.key.mode=record_key its field becomes the primary key column without
// primary.key.fields having to name it (a bare string key would need that).
import { ValidationFailed, type FieldError } from '../../lib/errors.ts';

export type JdbcSinkFieldType = 'string' | 'int64' | 'int32' | 'boolean';
export type JdbcSinkValue = string | number | boolean | null;

export interface JdbcSinkField {
  name: string;
  type: JdbcSinkFieldType;
  optional?: boolean;
}

export interface JdbcSinkRow {
  key: string;
  value: Record<string, JdbcSinkValue>;
}

export interface EncodedRecord {
  key: string;
  value: string;
}

/** The key struct's one field, and so the primary key column of the sink's table. */
export const KEY_COLUMN = 'id';

// Lower case only: the sink does not quote identifiers (quote.identifiers=false), so Postgres
// folds them to lower case, and the completion check must find the columns under these names.
const columnName = /^[a-z_][a-z0-9_]{0,62}$/;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Rejects field lists the sink would turn into a table other than the one the caller means. */
export function validateFields(fields: readonly JdbcSinkField[]): void {
  const problems: FieldError[] = [];
  if (fields.length === 0) problems.push({ field: 'fields', message: 'must name at least one value field' });
  const seen = new Set<string>();
  for (const { name } of fields) {
    if (!columnName.test(name)) problems.push({ field: `fields.${name}`, message: 'must be a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)' });
    if (name === KEY_COLUMN) problems.push({ field: `fields.${name}`, message: `is the primary key column the record key fills; rename the value field` });
    if (seen.has(name)) problems.push({ field: `fields.${name}`, message: 'is declared twice' });
    seen.add(name);
  }
  if (problems.length) throw new ValidationFailed(problems);
}

function typeProblem(type: JdbcSinkFieldType, value: JdbcSinkValue): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be a boolean';
    case 'int32':
      return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX ? undefined : 'must be an integer within int32';
    case 'int64':
      // JSON numbers past 2^53 would reach the converter already rounded.
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : 'must be a safe integer (int64 within ±2^53)';
  }
}

/**
 * An encoder for one field list: the schemas are serialised once, and each row only adds its
 * payload. Throws ValidationFailed naming every field of a row that does not fit its schema.
 */
export function connectJsonEncoder(fields: readonly JdbcSinkField[]): (row: JdbcSinkRow) => EncodedRecord {
  validateFields(fields);
  const keySchema = JSON.stringify({ type: 'struct', optional: false, fields: [{ field: KEY_COLUMN, type: 'string', optional: false }] });
  const valueSchema = JSON.stringify({
    type: 'struct',
    optional: false,
    fields: fields.map(({ name, type, optional = false }) => ({ field: name, type, optional })),
  });
  const declared = new Set(fields.map((f) => f.name));

  return (row) => {
    const problems: FieldError[] = [];
    if (typeof row.key !== 'string' || row.key === '') problems.push({ field: 'key', message: 'must be a non-empty string' });
    const payload: Record<string, JdbcSinkValue> = {};
    for (const { name, type, optional = false } of fields) {
      const value = row.value[name] ?? null;
      if (value === null) {
        if (!optional) problems.push({ field: `${row.key}.${name}`, message: 'is required (the field is not optional)' });
      } else {
        const problem = typeProblem(type, value);
        if (problem) problems.push({ field: `${row.key}.${name}`, message: problem });
      }
      payload[name] = value;
    }
    for (const name of Object.keys(row.value)) {
      if (!declared.has(name)) problems.push({ field: `${row.key}.${name}`, message: 'is not one of the declared fields' });
    }
    if (problems.length) throw new ValidationFailed(problems);
    return {
      key: `{"schema":${keySchema},"payload":${JSON.stringify({ [KEY_COLUMN]: row.key })}}`,
      value: `{"schema":${valueSchema},"payload":${JSON.stringify(payload)}}`,
    };
  };
}
