// Parsers of option values that more than one area's CLI accepts, so `--generation 0` or
// `--older-than 7x` is refused the same way by every command.
import { InvalidArgumentError } from 'commander';

export function positiveInteger(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const ageUnitsMs = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** "7d", "12h", "90m" → milliseconds; undefined for anything else (each caller words its own refusal). */
export function ageMs(text: string): number | undefined {
  const match = /^(\d+)(d|h|m)$/.exec(text.trim());
  return match ? Number(match[1]) * ageUnitsMs[match[2] as keyof typeof ageUnitsMs] : undefined;
}
