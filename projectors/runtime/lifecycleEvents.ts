// The runtime's lifecycle, emitted as named events on the worker (an EventEmitter) so tests,
// `outflow start` and operators' tooling can observe it without polling logs or sleeping.

export interface BatchStartEvent {
  projection: string;
  topic: string;
  partition: number;
  firstOffset: string;
  size: number;
}

export interface BatchEndEvent {
  projection: string;
  topic: string;
  partition: number;
  /** The checkpoint now stored and committed. */
  lastOffset: string;
  applied: number;
  parked: number;
  skipped: number;
  durationMs: number;
}

export interface AssignmentEvent {
  projection: string;
  groupId: string;
  memberId: string;
  /** topic → partitions this worker now owns for the projection. */
  assignment: Record<string, number[]>;
}

export interface RetryEvent {
  projection: string;
  topic: string;
  partition: number;
  offset: string;
  attempt: number;
  delayMs: number;
  error: string;
}

export interface ParkedEvent {
  projection: string;
  generation: number;
  key: string;
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  dlqOffset: string;
  /** True for the message that parked the key, false for one parked behind it. */
  first: boolean;
}

export interface CrashEvent {
  projection: string;
  error: unknown;
}

/** A worker following the registry moved a projection to another live generation. */
export interface GenerationEvent {
  projection: string;
  from: number;
  to: number;
}

export interface ProjectorLifecycleEvents {
  assignment: [AssignmentEvent];
  'batch.start': [BatchStartEvent];
  'batch.end': [BatchEndEvent];
  retry: [RetryEvent];
  parked: [ParkedEvent];
  crash: [CrashEvent];
  generation: [GenerationEvent];
}

/** How a processing step reports lifecycle events: the worker's `emit`. */
export type EmitLifecycle = <K extends keyof ProjectorLifecycleEvents>(
  name: K,
  // The conditional form is what node's typed EventEmitter.emit takes, so `emit.bind(worker)` fits.
  ...payload: K extends keyof ProjectorLifecycleEvents ? ProjectorLifecycleEvents[K] : never
) => unknown;
