/**
 * Where a call to the ERP comes from: the edge request id and, for the W3C trace, the
 * traceparent of the hop into the tunnel. Both travel in the `Call` frame into the connector's
 * logs. A coalesced batch carries the origin of the lookup that opened it.
 */
export interface CallOrigin {
  requestId: string;
  traceparent?: string;
}
