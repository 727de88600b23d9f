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

export function attachmentOf(ws: WebSocket): SocketAttachment | undefined {
  try {
    return (ws.deserializeAttachment() as SocketAttachment | null) ?? undefined;
  } catch {
    return undefined;
  }
}

export function setAttachment(ws: WebSocket, a: SocketAttachment): void {
  ws.serializeAttachment(a);
}
