// product-search against write.products + write.inventory: one document per SKU with the
// catalogue data, the stock and both aggregates' versions.
import { liveElasticsearchGeneration, refreshReadModel } from '../../projectors/stores/elasticsearchLayout.ts';
import { PRODUCT_SEARCH, productSearchProjection, scanProductDocuments, type ProductDocument } from './projection.ts';
import { compareById } from '../../projectors/verification/difference.ts';
import type { ReadModelCheck } from '../../projectors/verification/readModelCheck.ts';
import type { ExpectedProduct } from '../../projectors/verification/writeModelSnapshot.ts';

const fromProduct = (p: ExpectedProduct) => ({
  name: p.name,
  description: p.description,
  category: p.category,
  brand: p.brand,
  priceCents: p.priceCents,
  available: p.available,
  inStock: p.available > 0,
  productVersion: p.productVersion,
  // A product created without stock has an inventory at version 0 and no inventory event yet.
  inventoryVersion: p.inventoryVersion === 0 ? null : p.inventoryVersion,
});
const fromDocument = (d: ProductDocument) => ({
  name: d.name,
  description: d.description,
  category: d.category,
  brand: d.brand,
  priceCents: d.priceCents,
  available: d.available,
  inStock: d.inStock,
  productVersion: d.productVersion,
  inventoryVersion: d.inventoryVersion,
});

export const productSearchCheck: ReadModelCheck = {
  projection: productSearchProjection,
  liveGeneration: (context) => liveElasticsearchGeneration(context.elasticsearch, PRODUCT_SEARCH),
  async differences(expected, context, generation) {
    // Searches see only refreshed writes; verify must see all of them.
    await refreshReadModel(context.elasticsearch, PRODUCT_SEARCH, generation);
    return compareById({ projection: PRODUCT_SEARCH, entity: 'product' }, expected.products, scanProductDocuments(context.elasticsearch, { generation }), (d) => d.sku, {
      expected: fromProduct,
      actual: fromDocument,
    });
  },
};
