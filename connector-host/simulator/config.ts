import { z } from "zod";

/** What an ERP database was generated with; stored inside it so every process sees the same. */
export const simConfigSchema = z
  .object({
    seed: z.int().min(0).max(2 ** 31 - 1).default(42),
    articles: z.int().min(0).max(10_000_000).default(5_000),
    customers: z.int().min(1).max(1_000_000).default(1_000),
    /** Cost of a login (enventa's BusinessUnit initialisation takes more than 2 s). */
    loginMs: z.int().min(0).max(120_000).default(2_500),
    /** Sessions unused this long are expired by the ERP and need a new login. */
    idleTimeoutMs: z.int().min(1).max(24 * 3600_000).default(30 * 60_000),
  })
  .strict();
export type SimConfig = z.output<typeof simConfigSchema>;

/** Latency and faults, changeable at run time (the CLI and tests write them into the database). */
export const faultConfigSchema = z
  .object({
    perCallMs: z.number().min(0).max(60_000).default(0),
    perRowUs: z.number().min(0).max(1_000_000).default(0),
    /** Probability that a call fails with a (retryable) ERP error. */
    errorRate: z.number().min(0).max(1).default(0),
    /** Probability that a call stalls for stallMs before it runs. */
    stallRate: z.number().min(0).max(1).default(0),
    stallMs: z.int().min(0).max(600_000).default(30_000),
    /** Probability that a call loses the session's database connection (session must log in again). */
    dropRate: z.number().min(0).max(1).default(0),
  })
  .strict();
export type FaultConfig = z.output<typeof faultConfigSchema>;
export const NO_FAULTS: FaultConfig = faultConfigSchema.parse({});
