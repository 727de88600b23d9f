// The enventa simulator: a stand-in for the enventa Trade ERP assembly and its database.
export * from "./config.ts";
export * from "./errors.ts";
export * from "./types.ts";
export { ErpDatabase, OVERLAY_ROWVERSION_BASE, type EntityRow } from "./store.ts";
export { EnventaSession, simStats, resetSimStats, type Identity } from "./session.ts";
export { ArticleQuery, ConditionList, MAX_IN_VALUES, type ArticleField, type AttributeField, type Condition, type Scalar } from "./query.ts";
export { mutate, mutationSpecSchema, type MutationSpec, type MutationResult } from "./mutate.ts";
export { OrderBook, type CreateOrderRequest } from "./orders.ts";
export { loadFixture, parseFixture, type FixtureArticle } from "./fixture.ts";
export { articleIdOf } from "./catalog.ts";
export { customerIdOf } from "./commerce.ts";
