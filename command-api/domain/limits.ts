// The documented bounds of money, quantities and stock. They are chosen so that every amount the
// command API computes stays a safe JavaScript integer and fits the column and the Avro field
// that store it: prices and totals are bigint columns and Avro longs, stock and deltas are
// integer columns and Avro ints. A single value out of range is refused by the request schema
// (400); a combination that would cross a bound is refused by a domain rule (422).

/** $10,000,000.00 per unit. */
export const MAX_PRICE_CENTS = 1_000_000_000;
export const MAX_LINE_QUANTITY = 10_000;
/** $10,000,000,000.00 per order; with the two bounds above no line total can pass 2^53 either. */
export const MAX_ORDER_TOTAL_CENTS = 1_000_000_000_000;
/** One stock adjustment (or a product's initial stock) moves at most this many units. */
export const MAX_ADJUSTMENT_UNITS = 1_000_000_000;
/** The largest 32-bit integer: the inventory column and InventoryAdjusted.available. */
export const MAX_STOCK_UNITS = 2_147_483_647;
