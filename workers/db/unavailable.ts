/**
 * SQLSTATEs that mean "the database cannot serve now" rather than "this query is wrong":
 * class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect now),
 * 53300 (too many connections).
 */
const UNAVAILABLE_STATE = /^(08|57P0[1-3]$|53300$)/;
/** What the Neon driver and the socket under it say when the connection is gone. */
const UNAVAILABLE_MESSAGE = /connection terminated|terminating connection|connection (?:refused|reset|closed)|ECONNREFUSED|ECONNRESET|websocket|socket hang up|network connection lost|database system is (?:starting up|shutting down)/i;

/**
 * Whether an error (or one of its causes: drizzle wraps the driver's error) says Postgres is
 * unreachable, restarting or full: a transient condition the caller should retry, not a bug.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && UNAVAILABLE_STATE.test(code)) return true;
    // The driver's WebSocket fails with an ErrorEvent (not an Error) carrying the message.
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
