import { ROLLOUT_RINGS, type RolloutRing } from "../../schema/tenants.ts";
import { RolloutError } from "./errors.ts";

export type Ring = RolloutRing;
/** Promotion order: a build reaches stable only through canary and early. */
export const RING_ORDER: readonly Ring[] = ROLLOUT_RINGS;

export function parseRing(value: string | undefined, flag: string): Ring {
  if (value === undefined || value === "") throw new RolloutError(`${flag} is required (one of: ${RING_ORDER.join(", ")})`);
  if (!(RING_ORDER as readonly string[]).includes(value)) throw new RolloutError(`unknown ring '${value}' for ${flag} (one of: ${RING_ORDER.join(", ")})`);
  return value as Ring;
}

/** The ring after `ring` in promotion order, or undefined for the last. */
export function nextRing(ring: Ring): Ring | undefined {
  return RING_ORDER[RING_ORDER.indexOf(ring) + 1];
}

/** Promotion goes one ring at a time, forwards only. */
export function assertPromotion(from: Ring, to: Ring): void {
  const next = nextRing(from);
  if (to === next) return;
  if (RING_ORDER.indexOf(to) <= RING_ORDER.indexOf(from)) throw new RolloutError(`cannot promote from '${from}' to '${to}': promotion goes forwards (${RING_ORDER.join(" → ")}); use rollback to go back`);
  throw new RolloutError(`cannot promote from '${from}' to '${to}': that skips '${next}' (promote ${from} → ${next} first)`);
}

/** The Worker script of a ring (wrangler.toml [env.<ring>]). */
export const scriptOf = (ring: Ring): string => `b2x-edge-${ring}`;
