import type { QueryDescriptor } from "./descriptor.ts";
import type {
  Change, ChildSet, ErpArticle, ErpAttribute, ErpCategory, ErpCrossRef, ErpCustomer, ErpMedia, ErpOrder, ErpPrice, ErpStock, SyncEntity,
} from "../simulator/types.ts";

/**
 * Provider contracts of ADR-023 (IErpProvider, ICrmProvider, IPimProvider) in TypeScript:
 * single, bulk, streaming (AsyncIterable) and batch-sync operations. The row shapes are the
 * ones the enventa simulator defines for the ERP's business objects.
 */
export type Article = ErpArticle;
export type Attribute = ErpAttribute;
export type Media = ErpMedia;
export type CrossReference = ErpCrossRef;
export type Category = ErpCategory;
export type Customer = ErpCustomer;
export type Price = ErpPrice;
export type Stock = ErpStock;
export type Order = ErpOrder;
export type { ChildSet, Change, SyncEntity };

/** Who is asking and for which BusinessUnit; carries the edge's request id into logs. */
export interface TenantContext {
  tenantId: string;
  businessUnit: string;
  requestId: string;
  signal?: AbortSignal;
  /** Live calls run before background (sync) work. */
  priority?: "live" | "background";
}

export interface OrderRequest {
  externalRef: string;
  customerId: string;
  lines: { articleId: string; quantity: number }[];
  deliveryAddress: Record<string, string>;
  customerReference?: string | null;
}

export interface OrderResult {
  order: Order;
  /** False when the external reference already existed (an idempotent repeat). */
  created: boolean;
}

export interface BatchResult<T> {
  succeeded: T[];
  failed: { index: number; code: string; message: string }[];
}

export interface PriceRequest {
  customerId: string;
  items: { articleId: string; quantity: number }[];
}

export interface ErpProvider {
  // single
  getCustomer(ctx: TenantContext, customerId: string): Promise<Customer | null>;
  getOrder(ctx: TenantContext, ref: { orderNo?: string; externalRef?: string }): Promise<Order | null>;
  createOrder(ctx: TenantContext, request: OrderRequest): Promise<OrderResult>;
  // bulk
  getPrices(ctx: TenantContext, request: PriceRequest): Promise<{ customer: Customer | null; prices: Price[] }>;
  getStock(ctx: TenantContext, articleIds: string[]): Promise<Stock[]>;
  listOrders(ctx: TenantContext, customerId: string, limit: number): Promise<Order[]>;
  createOrders(ctx: TenantContext, requests: OrderRequest[]): Promise<BatchResult<OrderResult>>;
}

export interface CrmProvider {
  getContact(ctx: TenantContext, customerId: string): Promise<Customer | null>;
  getContacts(ctx: TenantContext, customerIds: string[]): Promise<Customer[]>;
}

export interface PimProvider {
  getProductDetails(ctx: TenantContext, articleId: string): Promise<{ article: Article; attributes: Attribute[] } | null>;
  getProducts(ctx: TenantContext, articleIds: string[]): Promise<Article[]>;
  getCategories(ctx: TenantContext): Promise<Category[]>;
  /** Articles matching a query descriptor (filter tree, sort, pagination). */
  queryCatalog(ctx: TenantContext, descriptor: QueryDescriptor): Promise<Article[]>;
  streamCatalog(ctx: TenantContext, descriptor: QueryDescriptor): AsyncIterable<Article[]>;
  /** Batch sync: rows of an entity changed after a rowversion, in batches, oldest first. */
  /** `withAttributes`: article rows carry their current attributes (one write per article). */
  streamChanges(ctx: TenantContext, entity: SyncEntity, afterRowversion: number, batchSize: number, until?: number, withAttributes?: boolean): AsyncIterable<Change<unknown>[]>;
  /** The ERP's current change horizon: every change so far has a rowversion at or below it. */
  changeHorizon(ctx: TenantContext): Promise<number>;
  articleCount(ctx: TenantContext): Promise<number>;
}

export type ProviderKind = "erp" | "crm" | "pim";

export interface ProviderInfo {
  name: string;
  /** Semantic version of the provider implementation. */
  version: string;
  kinds: ProviderKind[];
  /** Operations it implements, e.g. "erp.prices", "pim.changes". */
  capabilities: string[];
}

export interface Provider extends Partial<ErpProvider & CrmProvider & PimProvider> {
  readonly info: ProviderInfo;
  warmUp?(): Promise<void>;
  /** Queue depth per BusinessUnit, sessions, calls: for heartbeats and health. */
  metrics(): Record<string, number>;
  close(): Promise<void>;
}
