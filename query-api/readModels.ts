// The read models as the query API sees them: each projection's reader bound to the
// query API's own connections (Redis, Elasticsearch, the read-model Postgres as the
// query role). Nothing here can reach the write database.
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { fromDependency } from '../lib/dependencyFailure.ts';
import { readCustomerOrders } from '../projectors/projections/customerOrders.ts';
import { readOrderSummary, type OrderSummary } from '../projectors/projections/orderSummary.ts';
import { searchProducts } from '../projectors/projections/productSearch.ts';
import { readSalesReport } from '../projectors/projections/salesReport.ts';

export type { OrderSummary };
export type CustomerOrdersPage = Awaited<ReturnType<typeof readCustomerOrders>>;
export type ProductSearchQuery = Parameters<typeof searchProducts>[1];
export type ProductSearchResult = Awaited<ReturnType<typeof searchProducts>>;
export type SalesReportQuery = Parameters<typeof readSalesReport>[1];
export type SalesReport = Awaited<ReturnType<typeof readSalesReport>>;

export type ProjectionName = 'order-summary' | 'customer-orders' | 'product-search' | 'sales-report';

export interface ReadConnections {
  redis: Redis;
  elasticsearch: ElasticsearchClient;
  /** The read-model Postgres as the query role (SELECT only). */
  readPostgres: pg.Pool;
}

export interface ReadModels {
  orderSummary(orderId: string): Promise<OrderSummary | undefined>;
  customerOrders(customerId: string, page: { cursor?: string; limit: number }): Promise<CustomerOrdersPage>;
  searchProducts(query: ProductSearchQuery): Promise<ProductSearchResult>;
  salesReport(query: SalesReportQuery): Promise<SalesReport>;
}

/**
 * Readers go through each projection's pointer (its live generation) unless
 * `generation` names one explicitly, as tests do to read a generation of their own.
 */
export function bindReadModels(
  { redis, elasticsearch, readPostgres }: ReadConnections,
  generation: Partial<Record<ProjectionName, number>> = {},
): ReadModels {
  // An outage of a store comes out of its reader as DependencyUnavailable naming that store
  // (503), however deep in the reader the driver failed.
  return {
    orderSummary: (orderId) => fromDependency('redis', () => readOrderSummary(redis, orderId, { generation: generation['order-summary'] })),
    customerOrders: (customerId, page) => fromDependency('redis', () => readCustomerOrders(redis, customerId, { ...page, generation: generation['customer-orders'] })),
    searchProducts: (query) => fromDependency('elasticsearch', () => searchProducts(elasticsearch, { ...query, generation: generation['product-search'] })),
    salesReport: (query) => fromDependency('readPostgres', () => readSalesReport(readPostgres, { ...query, generation: generation['sales-report'] })),
  };
}
