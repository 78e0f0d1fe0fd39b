// The product-search read model: its projection, its verify check and its query routes.
import type { ReadModel } from '../readModel.ts';
import { productSearchCheck } from './check.ts';
import { productSearchProjection } from './projection.ts';
import { productSearchRoutes } from './routes.ts';

export const productSearch: ReadModel = {
  projection: productSearchProjection,
  check: productSearchCheck,
  queryRoutes: productSearchRoutes,
  localWorkerPortOffset: 2,
};
