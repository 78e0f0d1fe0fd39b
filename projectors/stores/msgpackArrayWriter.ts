// Writes one flat MessagePack array of strings and small non-negative integers: how a Redis
// batch reaches redisApplyBatch.lua, which unpacks it with the cmsgpack library built into
// Redis's Lua. One binary argument instead of thousands of command arguments: the client no
// longer frames (and measures the UTF-8 length of) every value, and the script still gets
// every value as a Lua string of its own, unpacked in C.
//
// The writer is reused: finish() copies the array out and starts a new one. Strings get the
// smallest header that fits their worst-case UTF-8 length (3 bytes per UTF-16 unit), so each
// is written once, straight into the buffer; MessagePack readers accept any header that holds
// the length.

const ARRAY32 = 0xdd;
const HEADER_BYTES = 5;
// Below this many UTF-16 units a JS loop beats the native write's call overhead (most values:
// names, ids, numbers); longer strings (JSON documents) go through Buffer.write.
const SHORT_STRING = 48;

/** Writes `value` as UTF-8 at `at` (the room is reserved); returns the bytes written. */
function writeUtf8(buffer: Buffer, value: string, at: number): number {
  const length = value.length;
  if (length > SHORT_STRING) return buffer.write(value, at, 'utf8');
  for (let i = 0; i < length; i++) {
    const unit = value.charCodeAt(i);
    // Not ASCII: start again with the encoder, which handles every code point.
    if (unit >= 0x80) return buffer.write(value, at, 'utf8');
    buffer[at + i] = unit;
  }
  return length;
}

export class MsgpackArrayWriter {
  #buffer: Buffer;
  #at = HEADER_BYTES;
  #count = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#buffer = Buffer.allocUnsafe(Math.max(initialBytes, 64));
  }

  string(value: string): void {
    const bound = value.length * 3;
    const header = bound < 32 ? 1 : bound < 0x100 ? 2 : bound < 0x10000 ? 3 : 5;
    this.#reserve(header + bound);
    const buffer = this.#buffer;
    const at = this.#at;
    const length = writeUtf8(buffer, value, at + header);
    if (header === 1) buffer[at] = 0xa0 | length;
    else if (header === 2) {
      buffer[at] = 0xd9;
      buffer[at + 1] = length;
    } else if (header === 3) {
      buffer[at] = 0xda;
      buffer.writeUInt16BE(length, at + 1);
    } else {
      buffer[at] = 0xdb;
      buffer.writeUInt32BE(length, at + 1);
    }
    this.#at = at + header + length;
    this.#count += 1;
  }

  /** A non-negative integer below 2^32 (counts and indexes): a Lua number in the script. */
  uint(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`not a uint32: ${value}`);
    this.#reserve(5);
    const buffer = this.#buffer;
    const at = this.#at;
    if (value < 0x80) {
      buffer[at] = value;
      this.#at = at + 1;
    } else if (value < 0x100) {
      buffer[at] = 0xcc;
      buffer[at + 1] = value;
      this.#at = at + 2;
    } else if (value < 0x10000) {
      buffer[at] = 0xcd;
      buffer.writeUInt16BE(value, at + 1);
      this.#at = at + 3;
    } else {
      buffer[at] = 0xce;
      buffer.writeUInt32BE(value, at + 1);
      this.#at = at + 5;
    }
    this.#count += 1;
  }

  /** Drops whatever was written since the last finish() (e.g. by a write that threw half-way). */
  reset(): void {
    this.#at = HEADER_BYTES;
    this.#count = 0;
  }

  /** The array written since the last finish() or reset(), as a buffer of its own; the writer starts afresh. */
  finish(): Buffer {
    const buffer = this.#buffer;
    buffer[0] = ARRAY32;
    buffer.writeUInt32BE(this.#count, 1);
    const out = Buffer.allocUnsafe(this.#at);
    buffer.copy(out, 0, 0, this.#at);
    this.reset();
    return out;
  }

  #reserve(bytes: number): void {
    if (this.#at + bytes <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#at + bytes));
    this.#buffer.copy(grown, 0, 0, this.#at);
    this.#buffer = grown;
  }
}
