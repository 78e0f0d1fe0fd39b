// Every read model outflow has: the one list the projector's projections, verify's checks, the
// query API's routes and the local stack's workers are all derived from. Adding a read model is a
// folder beside this file and one line here (docs/contributing.md).
import type { ProjectionDefinition } from '../projectors/projection.ts';
import type { ReadModelCheck } from '../projectors/verification/readModelCheck.ts';
import { customerOrders } from './customer-orders/index.ts';
import { orderSummary } from './order-summary/index.ts';
import { productSearch } from './product-search/index.ts';
import type { ReadModel } from './readModel.ts';
import { salesReport } from './sales-report/index.ts';

export const readModels: readonly ReadModel[] = [orderSummary, customerOrders, productSearch, salesReport];

/** Every projection the projector can run, `outflow verify` checks and rebuild knows. */
export const allProjections: readonly ProjectionDefinition[] = readModels.map((readModel) => readModel.projection);

/** One check per read model, for `outflow verify`. */
export const readModelChecks: readonly ReadModelCheck[] = readModels.map((readModel) => readModel.check);
