// Every read model the projector can run, `outflow verify` checks and rebuild knows.
import type { ProjectionDefinition } from '../projection.ts';
import { customerOrdersProjection } from './customerOrders.ts';
import { orderSummaryProjection } from './orderSummary.ts';
import { productSearchProjection } from './productSearch.ts';
import { salesReportProjection } from './salesReport.ts';

export const allProjections: ProjectionDefinition[] = [
  orderSummaryProjection,
  customerOrdersProjection,
  productSearchProjection,
  salesReportProjection,
];
