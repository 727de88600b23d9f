import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";

/**
 * What a tenant's shop holds to sign customer tokens (x-customer-token): an ES256 key pair;
 * the public JWK goes into the tenant's config (customerTokens.keys).
 */
export async function newCustomerSigningKey(kid: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "ES256" },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" },
  };
}

/**
 * A customer token as the tenant's shop signs it after the customer logs in. `kid` names the
 * key in the header (defaults to the signing key's own; tests set another to forge tokens).
 */
export async function signCustomerToken(privateJwk: JWK, tenantId: string, customerId: string, opts: { expiresIn?: string; kid?: string } = {}): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: opts.kid ?? privateJwk.kid! })
    .setSubject(customerId)
    .setIssuer(tenantId)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? "30d")
    .sign(await importJWK(privateJwk, "ES256"));
}
