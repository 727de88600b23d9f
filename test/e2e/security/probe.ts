import WebSocket from "ws";
import { baseUrl } from "../client.ts";

export interface Probe {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON, or undefined. `any` on purpose: probes read fields of many response shapes. */
  json: any;
}

export interface ProbeInit {
  method?: string;
  token?: string;
  customer?: string;
  json?: unknown;
  body?: RequestInit["body"];
  headers?: Record<string, string>;
  /** Set for a streamed (ReadableStream) body. */
  duplex?: "half";
}

/** One request to the running stack, answered as text and (if it parses) JSON. */
export async function probe(path: string, init: ProbeInit = {}): Promise<Probe> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.customer) headers.set("x-customer-token", init.customer);
  let body = init.body;
  if (init.json !== undefined) {
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  const res = await fetch(`${baseUrl()}${path}`, { method: init.method ?? (body === undefined ? "GET" : "POST"), headers, body, ...(init.duplex && { duplex: init.duplex }) } as RequestInit);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A Connect (JSON) unary call. */
export const connectCall = (service: string, method: string, message: unknown, init: Omit<ProbeInit, "json"> = {}) =>
  probe(`/b2x.storefront.v1.${service}/${method}`, { ...init, method: "POST", json: message, headers: { "connect-protocol-version": "1", ...init.headers } });

/** Tries to open the connector WebSocket: the refusal as a probe (status, body), or 101 with the open socket. */
export function tryConnectorUpgrade(authorization: string | undefined): Promise<Probe & { socket?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl().replace(/^http/, "ws")}/v1/connector/connect`, { headers: authorization ? { authorization } : {}, perMessageDeflate: false, handshakeTimeout: 10_000 });
    ws.on("unexpected-response", (_req, res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: new Headers(), text, json });
        ws.terminate();
      });
    });
    ws.on("open", () => resolve({ status: 101, headers: new Headers(), text: "", json: undefined, socket: ws }));
    ws.on("error", (err) => reject(err));
  });
}
