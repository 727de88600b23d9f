export type Level = "debug" | "info" | "warn" | "error";
export type Logger = (level: Level, msg: string, fields?: Record<string, unknown>) => void;

/** Structured JSON logs on stdout, one object per line, with the connector's identity. */
export function jsonLogger(base: Record<string, unknown>, minLevel: Level = "info", write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Logger {
  const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
  return (level, msg, fields) => {
    if (order[level] < order[minLevel]) return;
    write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...base, ...fields }));
  };
}

export const silentLogger: Logger = () => {};
