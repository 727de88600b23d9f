export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/** Structured JSON logs, one object a line, always carrying the correlation fields given. */
export function createLogger(minLevel: string | undefined, base: Record<string, unknown>): Logger {
  const min = ORDER[(minLevel as LogLevel) in ORDER ? (minLevel as LogLevel) : "info"];
  return (level, msg, fields) => {
    if (ORDER[level] < min) return;
    const line = JSON.stringify({ ts: new Date().toISOString(), level, msg, ...base, ...fields });
    if (level === "error") console.error(line);
    else console.log(line);
  };
}
