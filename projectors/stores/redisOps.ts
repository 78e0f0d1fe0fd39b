// The declarative operations a Redis projection's handlers return: plain data, so handlers
// stay pure and testable, and one Lua script (redisApplyBatch.lua) applies a whole batch.
//
// Every operation is idempotent on its own, so a projection stays correct even when an event
// comes twice at different offsets (a redelivery the offset checkpoint cannot recognise):
// - hsetIfNewer: writes `fields` into the hash `key` (a null value deletes that field) and
//   sets its `version` field, only if `version` is greater than the stored `version`.
// - hmergeJsonIfNewer: in the hash `key`, merges the flat object `patch` into the JSON object
//   stored under `field` (the other properties are kept) and sets its `version` property,
//   only if `version` is greater than the stored one. For values fed by several events,
//   each carrying only some of the properties.
// - zadd: adds `member` with `score` to the sorted set `key`; adding the same pair twice is
//   a no-op.
// There is no delete: a deleted key forgets its version, so a late duplicate would bring it
// back. A read model that needs deletion should keep a tombstone (a status) instead.
import type { EventHandlers } from './eventHandlers.ts';
import { MsgpackArrayWriter } from './msgpackArrayWriter.ts';

export type JsonScalar = string | number | boolean | null;

export type RedisOp =
  | { op: 'hsetIfNewer'; key: string; version: number; fields: Readonly<Record<string, string | null>> }
  | { op: 'hmergeJsonIfNewer'; key: string; field: string; version: number; patch: Readonly<Record<string, JsonScalar>> }
  | { op: 'zadd'; key: string; score: number; member: string };

/** The field or property where the ops keep the aggregate version; handlers may not write it. */
export const VERSION_FIELD = 'version';

/** What redisApplyBatch.lua receives: KEYS and ARGV, ready for EVALSHA. */
export interface EncodedBatch {
  keys: string[];
  /** partition, lastOffset, the events' operations as one MessagePack array, the expected checkpoint, the source time (see encodeBatch). */
  argv: [partition: string, lastOffset: string, ops: Buffer, expectedCheckpoint: string, sourceTimeMs: string];
}

/**
 * Throws when an op cannot be applied (a bug in the projection's handler). The store calls
 * it per event, so the failure names the event and the runtime can park it as poison.
 */
export function checkOp(op: RedisOp): void {
  const problem = opProblem(op);
  if (problem) throw new Error(`${op.op} on "${op.key}": ${problem}`);
}

function opProblem(op: RedisOp): string | undefined {
  if (op.key === '') return 'the key is empty';
  if (op.op === 'zadd') return Number.isFinite(op.score) ? undefined : `score must be a finite number, got ${op.score}`;
  if (!Number.isSafeInteger(op.version) || op.version < 1) return `version must be a positive integer, got ${op.version}`;
  const values: Readonly<Record<string, JsonScalar>> = op.op === 'hsetIfNewer' ? op.fields : op.patch;
  if (Object.hasOwn(values, VERSION_FIELD)) return `the op sets "${VERSION_FIELD}" itself`;
  // Called for every op of every event: a loop over the names, not Object.entries(...).find.
  for (const name of Object.keys(values)) {
    const value = values[name];
    if (typeof value === 'number' && !Number.isFinite(value)) return `${name} is not a finite number`;
  }
  return undefined;
}

/** A value as the client would send a command argument: strings as they are, null and undefined as ''. */
function argText(value: unknown): string {
  if (typeof value === 'string') return value;
  return value === null || value === undefined ? '' : String(value);
}

// One MessagePack array, one value per entry: cmsgpack unpacks it in C where a JSON payload would
// cost a cjson decode in the script and escape every JSON-valued field a second time; integers
// (indexes, counts) arrive as Lua numbers, everything else as the same strings flat ARGV carried.
function writeOp(out: MsgpackArrayWriter, op: RedisOp, keyIndex: number): void {
  switch (op.op) {
    case 'hsetIfNewer': {
      const { fields } = op;
      const names = Object.keys(fields);
      let deletes = 0;
      for (const name of names) if (fields[name] === null) deletes += 1;
      out.string('h');
      out.uint(keyIndex);
      out.string(String(op.version));
      out.uint(names.length - deletes);
      out.uint(deletes);
      for (const name of names) {
        const value = fields[name];
        if (value === null) continue;
        out.string(name);
        out.string(argText(value));
      }
      if (deletes > 0) for (const name of names) if (fields[name] === null) out.string(name);
      return;
    }
    case 'hmergeJsonIfNewer': {
      const { patch } = op;
      const names = Object.keys(patch);
      out.string('j');
      out.uint(keyIndex);
      out.string(argText(op.field));
      out.string(String(op.version));
      out.uint(names.length);
      for (const name of names) {
        out.string(name);
        out.string(argText(JSON.stringify(patch[name])));
      }
      return;
    }
    case 'zadd':
      out.string('z');
      out.uint(keyIndex);
      out.string(String(op.score));
      out.string(argText(op.member));
  }
}

// encodeBatch is synchronous and copies its result out, so one writer serves every batch.
const opsWriter = new MsgpackArrayWriter();

/**
 * Encodes a partition batch for redisApplyBatch.lua. Keys become absolute (under the
 * generation prefix) and are all declared in KEYS, as Redis asks of scripts; KEYS[1] is the
 * checkpoints hash, KEYS[2] the source-times hash. Events without operations are left out: the
 * checkpoint covers them. The ops must have passed checkOp.
 *
 * ARGV[1] partition, ARGV[2] lastOffset, ARGV[4] the expected checkpoint (an offset, 'none' when
 * the partition must have none yet, '' when not checked), ARGV[5] the batch's sourceTimeMs ('' when
 * unknown), ARGV[3] one MessagePack array holding, per event:
 * offset, op count (integer), and per op (integers marked #)
 *   h #keyIndex version #setCount #deleteCount (field value)*setCount field*deleteCount
 *   j #keyIndex field version #propertyCount (property jsonFragment)*propertyCount
 *   z #keyIndex score member
 */
export function encodeBatch(input: {
  prefix: string;
  checkpointsKey: string;
  sourceTimesKey: string;
  partition: number;
  lastOffset: string;
  expectedCheckpoint?: string | null;
  sourceTimeMs?: number;
  events: readonly { offset: string; ops: readonly RedisOp[] }[];
}): EncodedBatch {
  const keys = [input.checkpointsKey, input.sourceTimesKey];
  const keyIndexes = new Map<string, number>();
  opsWriter.reset();
  for (const event of input.events) {
    if (event.ops.length === 0) continue;
    opsWriter.string(event.offset);
    opsWriter.uint(event.ops.length);
    for (const op of event.ops) {
      const key = input.prefix + op.key;
      let index = keyIndexes.get(key);
      if (index === undefined) {
        keys.push(key);
        index = keys.length;
        keyIndexes.set(key, index);
      }
      writeOp(opsWriter, op, index);
    }
  }
  const expected = input.expectedCheckpoint === undefined ? '' : (input.expectedCheckpoint ?? 'none');
  const sourceTime = input.sourceTimeMs === undefined || !Number.isSafeInteger(input.sourceTimeMs) ? '' : String(input.sourceTimeMs);
  return { keys, argv: [String(input.partition), input.lastOffset, opsWriter.finish(), expected, sourceTime] };
}

/** A Redis projection's handlers: the operations each event gives. */
export type RedisHandlers = EventHandlers<readonly RedisOp[]>;
