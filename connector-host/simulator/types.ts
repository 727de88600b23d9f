/** Rows as the enventa simulator hands them out (shapes of the ERP's business objects). */
export interface ErpArticle {
  articleId: string;
  articleNumber: string;
  name: string;
  description: string;
  brand: string | null;
  ean: string | null;
  manufacturerNumber: string | null;
  categoryIds: string[];
  unit: string;
  /** List price in EUR. */
  listPrice: number;
  rowversion: number;
  /** When the ERP last changed the row (ISO). */
  changedAt: string;
}

export interface ErpAttribute {
  key: string;
  value: string;
  unit: string | null;
  position: number;
}

export interface ErpMedia {
  mediaId: string;
  kind: "image" | "datasheet";
  url: string;
  alt: string;
  position: number;
}

export interface ErpCrossRef {
  kind: "accessory" | "replacement" | "similar";
  targetArticleId: string;
  position: number;
}

/** Per-article child sets are versioned as a whole: a change replaces the set. */
export interface ChildSet<T> {
  articleId: string;
  rowversion: number;
  changedAt: string;
  items: T[];
}

export interface ErpCategory {
  categoryId: string;
  parentId: string | null;
  name: string;
  path: string[];
  position: number;
  rowversion: number;
  changedAt: string;
}

export interface ErpCustomer {
  customerId: string;
  name: string;
  priceGroup: string;
  discountPercent: number;
  blocked: boolean;
  currency: "EUR";
  paymentTerms: string;
}

export interface QuantityBreak {
  minQuantity: number;
  unitPrice: number;
}

export interface ErpPrice {
  articleId: string;
  quantity: number;
  currency: "EUR";
  listPrice: number;
  unitPrice: number;
  /** True when a customer-specific price agreement applies. */
  agreement: boolean;
  discountPercent: number;
  quantityBreaks: QuantityBreak[];
}

export interface ErpStock {
  articleId: string;
  warehouses: { warehouseId: string; name: string; quantity: number }[];
  total: number;
}

export type ErpOrderStatus = "created" | "in_progress" | "shipped" | "delivered" | "cancelled" | "rejected";

export interface ErpOrderLine {
  articleId: string;
  quantity: number;
  unitPrice: number;
}

export interface ErpOrder {
  orderNo: string;
  externalRef: string;
  customerId: string;
  businessUnit: string;
  status: ErpOrderStatus;
  rejectReason: string | null;
  lines: ErpOrderLine[];
  deliveryAddress: Record<string, string>;
  customerReference: string | null;
  total: number;
  createdAt: string;
  updatedAt: string;
}

/** Entities that are synced by rowversion. */
export const SYNC_ENTITIES = ["articles", "attributes", "media", "cross_references", "categories"] as const;
export type SyncEntity = (typeof SYNC_ENTITIES)[number];

/** One row of a change stream: the current row, or a tombstone if it was deleted. */
export type Change<T> = { rowversion: number; key: string; deleted: false; row: T } | { rowversion: number; key: string; deleted: true; row: null };
