import { describe, expect, it } from "vitest";
import { bearerToken, digestsEqual, generateCredential, parseCredential, sha256Hex } from "./credentials.ts";

describe("credentials", () => {
  it("round-trips tenant and id through the credential format", () => {
    const { id, secret } = generateCredential("sk", "acme-gmbh");
    expect(parseCredential(secret, "sk")).toEqual({ kind: "sk", tenantId: "acme-gmbh", id });
    expect(parseCredential(secret, "ct")).toBeNull();
  });

  it("rejects malformed credentials", () => {
    const { secret } = generateCredential("ct", "acme");
    for (const bad of ["", secret.slice(0, -1), `${secret}0`, secret.replace("acme", "ACME"), secret.toUpperCase(), `x${secret}`]) {
      expect(parseCredential(bad, "ct")).toBeNull();
    }
  });

  it("generates distinct secrets", () => {
    const seen = new Set(Array.from({ length: 100 }, () => generateCredential("sk", "acme").secret));
    expect(seen.size).toBe(100);
  });

  it("compares digests exactly", async () => {
    const a = await sha256Hex("a");
    expect(digestsEqual(a, await sha256Hex("a"))).toBe(true);
    expect(digestsEqual(a, await sha256Hex("b"))).toBe(false);
    expect(digestsEqual(a, a.slice(1))).toBe(false);
  });

  it("extracts bearer tokens only", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer abc ")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeNull();
    expect(bearerToken("Bearer a b")).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});
