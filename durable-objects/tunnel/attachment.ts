/** What a connector socket carries through hibernation (serializeAttachment, max 2 KiB). */
export interface SocketAttachment {
  connectorId: string;
  /** Fencing epoch: a newer connection of the same connector gets a higher one. */
  epoch: number;
  connectedAt: number;
  /** The connector token it authenticated with: revoking the token closes the socket. */
  tokenId?: string;
  hello?: {
    version: string;
    capabilities: string[];
    businessUnits: string[];
    maxInFlight: number;
  };
  lastHeartbeat?: number;
  /** Queue depth per BusinessUnit as the connector last reported it. */
  queueDepth?: Record<string, number>;
}

/**
 * The attachment as last set, per socket object: every live call reads the attachments of the
 * open sockets several times (pick a connector, then its answer), and each deserialization is a
 * structured clone. After hibernation the sockets are new objects, so they are read once again.
 */
const known = new WeakMap<WebSocket, SocketAttachment>();

export function attachmentOf(ws: WebSocket): SocketAttachment | undefined {
  const cached = known.get(ws);
  if (cached) return cached;
  try {
    const a = (ws.deserializeAttachment() as SocketAttachment | null) ?? undefined;
    if (a) known.set(ws, a);
    return a;
  } catch {
    return undefined;
  }
}

/** Stores the attachment with the socket (it survives hibernation); change it only through here. */
export function setAttachment(ws: WebSocket, a: SocketAttachment): void {
  ws.serializeAttachment(a);
  known.set(ws, a);
}
