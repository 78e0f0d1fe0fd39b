// The sales-report read model: its projection, its verify check and its query routes.
import type { ReadModel } from '../readModel.ts';
import { salesReportCheck } from './check.ts';
import { salesReportProjection } from './projection.ts';
import { salesReportRoutes } from './routes.ts';

export const salesReport: ReadModel = {
  projection: salesReportProjection,
  check: salesReportCheck,
  queryRoutes: salesReportRoutes,
  localWorkerPortOffset: 3,
};
