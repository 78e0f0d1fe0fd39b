// The customer-orders read model: its projection, its verify check and its query routes.
import type { ReadModel } from '../readModel.ts';
import { customerOrdersCheck } from './check.ts';
import { customerOrdersProjection } from './projection.ts';
import { customerOrdersRoutes } from './routes.ts';

export const customerOrders: ReadModel = {
  projection: customerOrdersProjection,
  check: customerOrdersCheck,
  queryRoutes: customerOrdersRoutes,
  localWorkerPortOffset: 1,
};
