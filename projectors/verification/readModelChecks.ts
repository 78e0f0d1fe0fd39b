// Every read model `outflow verify` compares, one check per projection of
// projectors/projections/index.ts (a unit test keeps the two lists in step).
import { customerOrdersCheck } from './customerOrdersCheck.ts';
import { orderSummaryCheck } from './orderSummaryCheck.ts';
import { productSearchCheck } from './productSearchCheck.ts';
import type { ReadModelCheck } from './readModelCheck.ts';
import { salesReportCheck } from './salesReportCheck.ts';

export const readModelChecks: readonly ReadModelCheck[] = [orderSummaryCheck, customerOrdersCheck, productSearchCheck, salesReportCheck];
