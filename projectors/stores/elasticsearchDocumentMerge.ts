// How an Elasticsearch projection's handlers change documents: plain data, merged here
// without scripts (the stack's Elasticsearch has no painless), so handlers stay pure.
//
// A document may be fed by several aggregates (a product's search document takes product and
// inventory events, from different topics, in no cross-topic order). It keeps one version per
// source aggregate, in the field the update names; an update applies only if its version is
// greater than that field's stored value, so a duplicate or an older event is a no-op, and the
// final document does not depend on how the sources interleave.
import type { EventHandlers } from './eventHandlers.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type StoredDocument = Record<string, JsonValue>;

export interface DocumentUpdate {
  /** The document id, e.g. the SKU. */
  id: string;
  /** The field holding this source aggregate's version, e.g. `productVersion`. */
  versionField: string;
  /** The source aggregate's version after the event. */
  version: number;
  /** Fields this source owns; written when the update applies. */
  fields: Readonly<Record<string, JsonValue>>;
  /**
   * Fields several sources write (e.g. `updatedAt`): the stored value is replaced only by a
   * greater one, so the result does not depend on which source came first.
   */
  greatest?: Readonly<Record<string, number>>;
}

export type ElasticsearchHandlers = EventHandlers<readonly DocumentUpdate[]>;

/** Throws when an update cannot be applied (a bug in the projection's handler). */
export function checkUpdate(update: DocumentUpdate): void {
  const problem = updateProblem(update);
  if (problem) throw new Error(`update of document "${update.id}": ${problem}`);
}

function updateProblem({ id, versionField, version, fields, greatest = {} }: DocumentUpdate): string | undefined {
  if (typeof id !== 'string' || id === '' || id.length > 512) return 'the id must be a non-empty string of at most 512 characters';
  if (!Number.isSafeInteger(version) || version < 1) return `version must be a positive integer, got ${version}`;
  if (Object.hasOwn(fields, versionField) || Object.hasOwn(greatest, versionField)) return `the handler may not write the version field ${versionField}`;
  for (const [name, value] of Object.entries(greatest)) {
    if (!Number.isFinite(value)) return `greatest field ${name} must be a finite number`;
    if (Object.hasOwn(fields, name)) return `${name} is both a plain and a greatest field`;
  }
  return undefined;
}

/**
 * Applies `updates` (in order) to `stored` (undefined = no document yet). Returns the new
 * document, or undefined when no update was newer than what the document has.
 */
export function mergeDocumentUpdates(stored: StoredDocument | undefined, updates: readonly DocumentUpdate[]): StoredDocument | undefined {
  let doc: StoredDocument | undefined;
  for (const update of updates) {
    const current: StoredDocument = doc ?? stored ?? {};
    const storedVersion = current[update.versionField];
    if (typeof storedVersion === 'number' && storedVersion >= update.version) continue;
    const next: StoredDocument = { ...current, ...update.fields, [update.versionField]: update.version };
    for (const [name, value] of Object.entries(update.greatest ?? {})) {
      const before = current[name];
      next[name] = typeof before === 'number' && before > value ? before : value;
    }
    doc = next;
  }
  return doc;
}

/** Updates grouped by document id, each group in event order (the order they must merge in). */
export function groupUpdatesById(updates: readonly DocumentUpdate[]): Map<string, DocumentUpdate[]> {
  const byId = new Map<string, DocumentUpdate[]>();
  for (const update of updates) {
    const group = byId.get(update.id);
    if (group) group.push(update);
    else byId.set(update.id, [update]);
  }
  return byId;
}
