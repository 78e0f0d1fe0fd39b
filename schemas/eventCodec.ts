// Events to and from the Confluent wire format: byte 0 = 0x00 (magic), bytes 1-4 = schema id
// (big endian), then the Avro binary body. The command API encodes on its hot path, so encode
// is synchronous and never calls the registry: the ids of the local schemas are looked up once
// in connect(). Decode fetches a writer schema only the first time it meets an id; after that
// (and always for the local schemas) decodeKnown decodes without waiting for anything.
import type avro from 'avsc';
import type { Config } from '../lib/config.ts';
import {
  EventInvalid,
  EventUndecodable,
  NotWireFormat,
  SchemaNotRegistered,
  UnknownEventSchema,
  UnknownSchemaId,
} from '../lib/errors.ts';
import { eventSchemas, parseAvroSchemaText, type LocalSchema } from './avroSchemas.ts';
import { EVENT_TYPES, type EventType } from './eventCatalog.ts';
import type { EventPayloads } from './generated/eventTypes.ts';
import { RegistryClient } from './registryClient.ts';

export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

/** A decoded message; narrowing on `eventType` narrows `event`. */
export type DecodedEvent = {
  [K in EventType]: { eventType: K; schemaId: number; event: EventPayloads[K] };
}[EventType];

/** The writer schema text of a registry id, or null when the registry has no such id. */
/**
 * What a publisher's outbox needs of the codec: synchronous, registry ids already known. The
 * codec is one; a test may wrap it to inject a fault.
 */
export interface EventEncoder {
  encode<T extends EventType>(type: T, event: EventPayloads[T]): Buffer;
}

export type SchemaByIdLookup = (schemaId: number) => Promise<string | null>;

export interface EventCodecOptions {
  /** The registry id of each local schema: what encode writes into the header. */
  schemaIds: Readonly<Record<EventType, number>>;
  schemaById: SchemaByIdLookup;
  /** The local (reader and writer) schemas; defaults to the checked-in ones. */
  schemas?: Readonly<Record<EventType, LocalSchema>>;
}

interface ReaderForId {
  eventType: EventType;
  type: avro.Type;
  /** Absent when the writer schema is the local one: no resolution needed. */
  resolver: avro.Resolver | undefined;
}

export class EventCodec {
  readonly #schemas: Readonly<Record<EventType, LocalSchema>>;
  readonly #schemaIds: Readonly<Record<EventType, number>>;
  readonly #schemaById: SchemaByIdLookup;
  readonly #eventTypeBySubject: ReadonlyMap<string, EventType>;
  readonly #readers = new Map<number, Promise<ReaderForId>>();
  /** The readers already resolved: what decodeKnown uses without a promise per message. */
  readonly #known = new Map<number, ReaderForId>();
  // One scratch buffer reused by every encode (encode is synchronous, so never shared).
  #scratch = Buffer.allocUnsafe(16 * 1024);

  /** Looks up the registry id of every local event schema; registers nothing. */
  static async connect(config: Config, { registry = new RegistryClient(config.registry.url) }: { registry?: RegistryClient } = {}): Promise<EventCodec> {
    const schemas = eventSchemas();
    const found = await Promise.all(
      EVENT_TYPES.map(async (eventType) => {
        const local = schemas[eventType];
        const registered = await registry.lookup(local.subject, local.text);
        // The registry matches loosely (it ignores docs); only a canonically equal schema
        // writes the same bytes, so anything else counts as not registered.
        const exact = registered && parseAvroSchemaText(registered.schema).equals(local.type) ? registered.id : undefined;
        return [eventType, exact] as const;
      }),
    );
    const missing = found.filter(([, id]) => id === undefined).map(([eventType]) => schemas[eventType].subject);
    if (missing.length) throw new SchemaNotRegistered(missing);
    return new EventCodec({
      schemaIds: Object.fromEntries(found) as Record<EventType, number>,
      schemaById: (id) => registry.schemaById(id),
      schemas,
    });
  }

  constructor({ schemaIds, schemaById, schemas = eventSchemas() }: EventCodecOptions) {
    this.#schemas = schemas;
    this.#schemaIds = Object.freeze({ ...schemaIds });
    this.#schemaById = schemaById;
    this.#eventTypeBySubject = new Map(EVENT_TYPES.map((eventType) => [schemas[eventType].subject, eventType]));
    // Messages written with the local schemas (the common case) decode without the registry.
    for (const eventType of EVENT_TYPES) {
      const reader = { eventType, type: schemas[eventType].type, resolver: undefined };
      this.#readers.set(schemaIds[eventType], Promise.resolve(reader));
      this.#known.set(schemaIds[eventType], reader);
    }
  }

  schemaIdOf(eventType: EventType): number {
    return this.#schemaIds[eventType];
  }

  /** Validates and encodes one event; throws EventInvalid naming every bad field path. */
  encode<T extends EventType>(eventType: T, event: EventPayloads[T]): Buffer {
    const type = this.#schemas[eventType].type;
    if (!type.isValid(event)) throw new EventInvalid(eventType, invalidPaths(type, event));
    let end = type.encode(event, this.#scratch, WIRE_HEADER_BYTES);
    if (end < 0) {
      // encode returns minus the missing byte count when the buffer is too small.
      this.#scratch = Buffer.allocUnsafe(Math.max(this.#scratch.length * 2, this.#scratch.length - end));
      end = type.encode(event, this.#scratch, WIRE_HEADER_BYTES);
    }
    const message = Buffer.allocUnsafe(end);
    this.#scratch.copy(message, WIRE_HEADER_BYTES, WIRE_HEADER_BYTES, end);
    message[0] = MAGIC_BYTE;
    message.writeInt32BE(this.#schemaIds[eventType], 1);
    return message;
  }

  /**
   * Decodes a message written with any registered version of an event schema into the local
   * one. Poison (never retriable): NotWireFormat, UnknownSchemaId, UnknownEventSchema,
   * EventUndecodable. RegistryUnavailable is retriable.
   */
  async decode(message: Buffer): Promise<DecodedEvent> {
    const schemaId = wireSchemaId(message);
    return this.#read(this.#known.get(schemaId) ?? (await this.#readerFor(schemaId)), schemaId, message);
  }

  /**
   * decode, synchronously, when the message's writer schema is known already (a local schema or
   * one fetched before); undefined when the registry must be asked first (use decode). Throws
   * the same poison errors as decode. The replay's hot path: no promise per message.
   */
  decodeKnown(message: Buffer): DecodedEvent | undefined {
    const schemaId = wireSchemaId(message);
    const reader = this.#known.get(schemaId);
    return reader && this.#read(reader, schemaId, message);
  }

  #read(reader: ReaderForId, schemaId: number, message: Buffer): DecodedEvent {
    let event: unknown;
    try {
      event = reader.type.fromBuffer(message.subarray(WIRE_HEADER_BYTES), reader.resolver);
    } catch (error) {
      throw new EventUndecodable(schemaId, reader.eventType, error instanceof Error ? error.message : String(error), { cause: error });
    }
    return { eventType: reader.eventType, schemaId, event } as DecodedEvent;
  }

  #readerFor(schemaId: number): Promise<ReaderForId> {
    let reader = this.#readers.get(schemaId);
    if (!reader) {
      reader = this.#fetchReader(schemaId);
      this.#readers.set(schemaId, reader);
      // Only successes stay cached: an unreachable registry must be asked again next time.
      reader.then(
        (known) => this.#known.set(schemaId, known),
        () => this.#readers.delete(schemaId),
      );
    }
    return reader;
  }

  async #fetchReader(schemaId: number): Promise<ReaderForId> {
    const text = await this.#schemaById(schemaId);
    if (text === null) throw new UnknownSchemaId(schemaId);
    let writer: avro.Type;
    try {
      writer = parseAvroSchemaText(text);
    } catch (error) {
      throw new EventUndecodable(schemaId, 'unknown', `its writer schema does not parse: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const eventType = this.#eventTypeBySubject.get(writer.name ?? '');
    if (!eventType) throw new UnknownEventSchema(schemaId, writer.name ?? writer.typeName);
    const type = this.#schemas[eventType].type;
    if (writer.equals(type)) return { eventType, type, resolver: undefined };
    try {
      return { eventType, type, resolver: type.createResolver(writer) };
    } catch (error) {
      throw new EventUndecodable(schemaId, eventType, `the local schema cannot read its writer schema: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}

/** The schema id of a Confluent wire-format message; NotWireFormat when it is not one. */
function wireSchemaId(message: Buffer): number {
  if (message.length < WIRE_HEADER_BYTES) throw new NotWireFormat(`${message.length} bytes, the header alone is ${WIRE_HEADER_BYTES}`);
  if (message[0] !== MAGIC_BYTE) throw new NotWireFormat(`magic byte is ${message[0]}, expected ${MAGIC_BYTE}`);
  return message.readInt32BE(1);
}

/** Every path where the value breaks the schema, e.g. `items[0].quantity`, `shippingAddress`. */
export function invalidPaths(type: avro.Type, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, {
    errorHook: (path) => {
      paths.push(path.reduce((joined, part) => (/^\d+$/.test(part) ? `${joined}[${part}]` : joined ? `${joined}.${part}` : part), '') || '(root)');
    },
  });
  return paths;
}
