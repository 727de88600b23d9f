import { describe, expect, it } from "vitest";
import { type Overview, overviewSchema } from "../ops/overview-schema.ts";
import { mergeOverviews } from "./merge-overview.ts";

const worker = (tag: string) => ({ versionId: `id-${tag}`, versionTag: tag, versionTimestamp: "" });
const tenant = (tenantId: string, ring: string, calls: number): Overview["tenants"][number] => ({
  tenantId, name: tenantId, ring, disabled: false, configVersion: 1, desiredConnectorVersion: null, sessionUp: true, connectors: [],
  live: { calls, p95Ms: null, cacheHitRatio: null, errorsByStatus: {}, queueDepth: 0 }, syncRuns: [],
});
const overview = (ring: string, tag: string, tenants: Overview["tenants"], errorsAt: string[]): Overview => ({
  generatedAt: "2026-01-01T00:00:00.000Z", worker: worker(tag), rings: [{ ring, ok: true, worker: worker(tag), error: null }], signedInAs: "token:abc",
  tenants, recentErrors: errorsAt.map((at) => ({ at, tenantId: "t", source: "admin", message: ring })),
});

describe("mergeOverviews (the router's ops overview merge)", () => {
  it("concatenates tenants by id, errors newest first, and lists every ring with its version or its failure", () => {
    const merged = mergeOverviews([
      { ring: "canary", overview: overview("canary", "v2", [tenant("zeta", "canary", 4)], ["2026-01-01T00:00:03Z"]) },
      { ring: "early", overview: null, error: "HTTP 503 database_unavailable" },
      // An older stable build shows every tenant: the canary tenant is taken from canary.
      { ring: "stable", overview: overview("stable", "v1", [tenant("alpha", "stable", 1), tenant("zeta", "canary", 0)], ["2026-01-01T00:00:05Z", "2026-01-01T00:00:01Z"]) },
    ]);
    expect(() => overviewSchema.parse(merged)).not.toThrow();
    expect(merged.tenants.map((t) => [t.tenantId, t.live.calls])).toEqual([["alpha", 1], ["zeta", 4]]);
    expect(merged.recentErrors.map((e) => e.at)).toEqual(["2026-01-01T00:00:05Z", "2026-01-01T00:00:03Z", "2026-01-01T00:00:01Z"]);
    expect(merged.rings).toEqual([
      { ring: "canary", ok: true, worker: worker("v2"), error: null },
      { ring: "early", ok: false, worker: null, error: "HTTP 503 database_unavailable" },
      { ring: "stable", ok: true, worker: worker("v1"), error: null },
    ]);
    expect(merged.worker).toEqual(worker("v1"));
  });
});
