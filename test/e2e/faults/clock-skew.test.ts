import { type JWK, SignJWT, importJWK } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { CUSTOMER_TOKEN_CLOCK_TOLERANCE_SECONDS as TOLERANCE } from "../../../workers/lib/customer-token-policy.ts";
import { recordScenario } from "../../support/scenario-log.ts";
import { cleanupFixtures, liveTenant } from "../tenant-fixture.ts";

afterEach(cleanupFixtures);

/** A customer token whose clock claims are shifted by the given seconds from now. */
async function skewed(jwk: JWK, issuer: string, claims: { iat?: number; nbf?: number; exp: number }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: jwk.kid! }).setSubject("K10001").setIssuer(issuer).setExpirationTime(now + claims.exp);
  if (claims.iat !== undefined) jwt.setIssuedAt(now + claims.iat);
  if (claims.nbf !== undefined) jwt.setNotBefore(now + claims.nbf);
  return jwt.sign(await importJWK(jwk, "ES256"));
}

describe("faults: clock skew between the shop that signs customer tokens and the edge", () => {
  it(`accepts iat/nbf up to ${TOLERANCE} s ahead and exp up to ${TOLERANCE} s past; refuses beyond with 401`, async () => {
    const t = await liveTenant();
    // /v1/customers/me needs a verified token before it needs the ERP: 503 (no connector) means accepted.
    const ask = async (token: string) => (await t.get("/v1/customers/me", token));
    const within = TOLERANCE / 2;
    const beyond = TOLERANCE * 3;
    const cases: { name: string; claims: { iat?: number; nbf?: number; exp: number }; accepted: boolean }[] = [
      { name: "iat slightly ahead", claims: { iat: within, exp: 600 }, accepted: true },
      { name: "nbf slightly ahead", claims: { iat: 0, nbf: within, exp: 600 }, accepted: true },
      { name: "exp slightly past", claims: { iat: -600, exp: -within }, accepted: true },
      { name: "iat far ahead", claims: { iat: beyond, exp: 600 }, accepted: false },
      { name: "nbf far ahead", claims: { iat: 0, nbf: beyond, exp: 600 }, accepted: false },
      { name: "exp far past", claims: { iat: -600, exp: -beyond }, accepted: false },
    ];
    const wrong: string[] = [];
    for (const c of cases) {
      const r = await ask(await skewed(t.privateJwk, t.tenantId, c.claims));
      const accepted = r.status !== 401;
      if (accepted !== c.accepted) wrong.push(`${c.name}: ${r.status} ${JSON.stringify(r.body)}`);
      if (accepted) expect(r.body.error?.code ?? "ok").toBe("connector_offline");
      else expect(r.body.error).toMatchObject({ code: "unauthorized", message: expect.stringMatching(/customer token/) });
    }
    recordScenario({
      suite: "faults", name: "clock skew on customer tokens", passed: wrong.length === 0, faults: cases.map((c) => `${c.name} (${JSON.stringify(c.claims)} s)`), badInputs: cases.filter((c) => !c.accepted).length,
      figures: { toleranceSeconds: TOLERANCE, cases: cases.length, wrong: wrong.length },
    });
    expect(wrong).toEqual([]);
  });
});
