/** Admin secret bound into the workerd test project only; real stacks generate their own. */
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
/** Body limit bound into the workerd test project, small so 413 is cheap to provoke. */
export const TEST_MAX_BODY_BYTES = 65_536;
/**
 * Ed25519 key pairs for connector release tests (test-only, never trusted anywhere else): the
 * first is in the workerd project's RELEASE_PUBLIC_KEYS, the second is not ("rogue").
 */
export const TEST_RELEASE_KEY = { keyId: "test-release-1", jwk: { kty: "OKP", crv: "Ed25519", d: "srp7XCIjSebn4TKofLQKRFlnh_rEE_7Kaua9B89CQIg", x: "EvQT51pCIJEAhlyiAZpkm6jv1P-IyUhjMcEw5FKn2u4" } } as const;
export const ROGUE_RELEASE_KEY = { keyId: "rogue-1", jwk: { kty: "OKP", crv: "Ed25519", d: "bdQLOz2dqO3KRQxRdNb4itfbD4ef3zdnDcNttwCRKJo", x: "PndktiGzHh_WIegO3zcnq36k7YZG6zfWyNoRqXzCl6k" } } as const;
export const TEST_RELEASE_PUBLIC_KEYS = { "test-release-1": "EvQT51pCIJEAhlyiAZpkm6jv1P+IyUhjMcEw5FKn2u4=" } as const;
