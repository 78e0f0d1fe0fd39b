// The order-summary read model: its projection, its verify check and its query routes.
import type { ReadModel } from '../readModel.ts';
import { orderSummaryCheck } from './check.ts';
import { orderSummaryProjection } from './projection.ts';
import { orderSummaryRoutes } from './routes.ts';

export const orderSummary: ReadModel = {
  projection: orderSummaryProjection,
  check: orderSummaryCheck,
  queryRoutes: orderSummaryRoutes,
  localWorkerPortOffset: 0,
};
