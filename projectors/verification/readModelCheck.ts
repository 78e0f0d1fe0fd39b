// What `outflow verify` knows about one read model: where its live generation is and how
// to compare a generation with what the write model says it should hold.
import type { ProjectionDefinition, StoreConnections } from '../projection.ts';
import type { Difference } from './difference.ts';
import type { WriteModelSnapshot } from './writeModelSnapshot.ts';

export interface ReadModelCheck {
  projection: ProjectionDefinition;
  /** The generation readers use now (the pointer), or undefined when no worker ever set one. */
  liveGeneration(context: StoreConnections): Promise<number | undefined>;
  /** Every difference between the generation and the snapshot; empty when they agree. */
  differences(expected: WriteModelSnapshot, context: StoreConnections, generation: number): Promise<Difference[]>;
}
