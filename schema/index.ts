export * from "./tenants.ts";
export * from "./credentials.ts";
export * from "./connectors.ts";
export * from "./catalog.ts";
export * from "./sync.ts";
export * from "./audit.ts";
export * from "./search.ts";
export * from "./releases.ts";
