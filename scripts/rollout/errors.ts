/** A refusal the operator must read (bad ring, unknown build, skipped ring): printed, exit code 2, nothing changed. */
export class RolloutError extends Error {
  override readonly name = "RolloutError";
}
