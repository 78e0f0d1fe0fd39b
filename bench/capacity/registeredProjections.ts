// The read models the plan sizes, as the registry has them: each projection's store and the
// topics its consumer group reads, so a read model added to the registry is sized without a line here.
import { topicsOf } from '../../projectors/projection.ts';
import { allProjections } from '../../read-models/registry.ts';
import { storeKindOf } from '../history/benchProjections.ts';
import type { ProjectionShape } from './capacityModel.ts';

export function registeredProjectionShapes(): ProjectionShape[] {
  return allProjections.map((definition) => ({ name: definition.name, store: storeKindOf(definition), topics: topicsOf(definition) }));
}
