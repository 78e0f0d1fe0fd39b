// Turns one Kafka message into a ProjectionEvent, or says why it is poison. The headers
// Debezium's outbox router sets (eventId, eventType, aggregateVersion) must be present and
// agree with the decoded body: a disagreement means the message is not what it claims.
import type { IHeaders } from 'kafkajs';
import { EventHeadersInvalid } from '../../lib/errors.ts';
import { isEventType, type EventType } from '../../schemas/eventCatalog.ts';
import type { DecodedEvent, EventCodec } from '../../schemas/eventCodec.ts';
import type { ProjectionEvent } from '../projection.ts';
import { describeFailure, isRetriable } from './retriableFailure.ts';

export const REQUIRED_HEADERS = ['eventId', 'eventType', 'aggregateVersion'] as const;

/** What the runtime needs of a message, whether it came from an event topic or the DLQ. */
export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

/** Where the decoded event is said to be: its source position, or its DLQ position on a retry. */
export interface MessagePosition {
  topic: string;
  partition: number;
  offset: string;
}

export type DecodedMessage =
  | { kind: 'event'; key: string; event: ProjectionEvent; eventId: string; occurredAt: number }
  /** A catalog event type the projection does not read: skipped, the checkpoint moves past it. */
  | { kind: 'unhandled'; key: string; eventType: string }
  /** A message an operator dropped with `outflow dlq skip`: stepped over like an unhandled one. */
  | { kind: 'skipped'; key: string }
  | { kind: 'poison'; key: string; reason: string };

export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  // A header whose column was null (traceparent) arrives with a null value.
  if (value === undefined || value === null) return undefined;
  // toString() without arguments is UTF-8 and skips the encoding lookup: four calls per message.
  return typeof value === 'string' ? value : value.toString();
}

export function messageKey(message: RawMessage): string {
  return message.key?.toString() ?? '';
}

/**
 * Decodes `message` for a projection reading `handled`. Throws only retriable failures
 * (the registry is unreachable): the caller retries the same message later.
 */
export async function decodeMessage(
  codec: EventCodec,
  handled: ReadonlySet<EventType>,
  position: MessagePosition,
  message: RawMessage,
): Promise<DecodedMessage> {
  const now = decodeMessageNow(codec, handled, position, message);
  if (now !== undefined) return now;
  // The message names a schema id the codec has not met yet: fetched from the registry once.
  const key = messageKey(message);
  const headers = readHeaders(message.headers);
  let decoded;
  try {
    decoded = await codec.decode(message.value!);
  } catch (error) {
    if (isRetriable(error)) throw error;
    return poison(key, error);
  }
  return judgeBody(decoded, headers, position, key);
}

/**
 * decodeMessage without waiting: the same verdict, or undefined when the message's writer schema
 * must first be fetched from the registry (then use decodeMessage). The hot path of a replay,
 * where every message is written with a schema the codec knows.
 */
export function decodeMessageNow(
  codec: EventCodec,
  handled: ReadonlySet<EventType>,
  position: MessagePosition,
  message: RawMessage,
): DecodedMessage | undefined {
  const key = messageKey(message);
  const headers = readHeaders(message.headers);
  if (!headers.eventId || !headers.eventType || !headers.aggregateVersion) {
    const missing = REQUIRED_HEADERS.filter((name) => !headers[name]);
    return poison(key, new EventHeadersInvalid(`missing header(s) ${missing.join(', ')}`));
  }
  const headerType = headers.eventType;
  if (!isEventType(headerType)) return poison(key, new EventHeadersInvalid(`eventType ${headerType} is not an event type of the catalog`));
  // Events the projection does not read are not its to judge: skipping them undecoded
  // also saves the decode on topics shared by several event types.
  if (!handled.has(headerType)) return { kind: 'unhandled', key, eventType: headerType };
  if (!message.value) return poison(key, new EventHeadersInvalid('the message has no value'));

  let decoded;
  try {
    decoded = codec.decodeKnown(message.value);
  } catch (error) {
    // Only poison: a known schema needs no registry, so nothing here is worth a retry.
    return poison(key, error);
  }
  return decoded && judgeBody(decoded, headers, position, key);
}

type RequiredHeaders = Record<(typeof REQUIRED_HEADERS)[number], string | undefined>;

/** The required headers, each read once. */
function readHeaders(headers: IHeaders | undefined): RequiredHeaders {
  return { eventId: headerText(headers, 'eventId'), eventType: headerText(headers, 'eventType'), aggregateVersion: headerText(headers, 'aggregateVersion') };
}

/** The decoded body must be what the headers say it is. */
function judgeBody(decoded: DecodedEvent, headers: RequiredHeaders, position: MessagePosition, key: string): DecodedMessage {
  const headerType = headers.eventType ?? '';
  const headerVersion = headers.aggregateVersion ?? '';
  const eventId = headers.eventId ?? '';
  if (decoded.eventType !== headerType) {
    return poison(key, new EventHeadersInvalid(`header eventType ${headerType} but the body is ${decoded.eventType}`));
  }
  if (String(decoded.event.aggregateVersion) !== headerVersion) {
    return poison(key, new EventHeadersInvalid(`header aggregateVersion ${headerVersion} but the body has ${decoded.event.aggregateVersion}`));
  }
  if (decoded.event.eventId !== eventId) {
    return poison(key, new EventHeadersInvalid(`header eventId ${eventId} but the body has ${decoded.event.eventId}`));
  }
  // The mapped union pairs each type with its payload; TS cannot follow that through `decoded`.
  const event = { type: decoded.eventType, event: decoded.event, topic: position.topic, partition: position.partition, offset: position.offset, key } as ProjectionEvent;
  return { kind: 'event', key, event, eventId, occurredAt: decoded.event.occurredAt };
}

function poison(key: string, error: unknown): DecodedMessage {
  return { kind: 'poison', key, reason: describeFailure(error) };
}
