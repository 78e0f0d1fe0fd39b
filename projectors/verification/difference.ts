// One way a read model disagrees with the write model, as `outflow verify` reports it.
import { isDeepStrictEqual } from 'node:util';

export type DifferenceKind =
  /** The write model has the entity; the read model does not. */
  | 'missing'
  /** The read model has an entity the write model does not. */
  | 'unexpected'
  /** Both have it; a field differs. */
  | 'mismatch';

export interface Difference {
  projection: string;
  /** What kind of thing differs: order, customer, product, sales-day, sales-order, projection. */
  entity: string;
  id: string;
  kind: DifferenceKind;
  field?: string;
  expected?: unknown;
  actual?: unknown;
  /** The aggregate is parked behind a poison message in this projection's DLQ: the likely cause. */
  parked?: boolean;
}

/** Field-by-field comparison of two records (deep, key order ignored); one mismatch per differing field. */
export function fieldDifferences(
  where: Pick<Difference, 'projection' | 'entity' | 'id'>,
  expected: Readonly<Record<string, unknown>>,
  actual: Readonly<Record<string, unknown>>,
): Difference[] {
  const out: Difference[] = [];
  for (const field of Object.keys(expected)) {
    if (!isDeepStrictEqual(expected[field], actual[field])) {
      out.push({ ...where, kind: 'mismatch', field, expected: expected[field], actual: actual[field] });
    }
  }
  return out;
}

/**
 * Compares a read model's entities with the write model's, by id: each one only the read model
 * has is `unexpected`, each one only the write model has is `missing`, and each shared one is
 * compared field by field through the two `comparable` views.
 */
export async function compareById<Expected, Actual>(
  where: Pick<Difference, 'projection' | 'entity'>,
  expected: ReadonlyMap<string, Expected>,
  actual: AsyncIterable<Actual> | Iterable<Actual>,
  idOf: (actual: Actual) => string,
  comparable: { expected: (e: Expected) => Record<string, unknown>; actual: (a: Actual) => Record<string, unknown> },
): Promise<Difference[]> {
  const out: Difference[] = [];
  const seen = new Set<string>();
  for await (const entity of actual) {
    const id = idOf(entity);
    seen.add(id);
    const want = expected.get(id);
    if (want === undefined) out.push({ ...where, id, kind: 'unexpected', actual: comparable.actual(entity) });
    else out.push(...fieldDifferences({ ...where, id }, comparable.expected(want), comparable.actual(entity)));
  }
  for (const [id, want] of expected) {
    if (!seen.has(id)) out.push({ ...where, id, kind: 'missing', expected: comparable.expected(want) });
  }
  return out;
}
