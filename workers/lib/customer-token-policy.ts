/**
 * Clock skew allowed between the shop that signs customer tokens and the edge: `exp` up to this
 * many seconds past, `nbf` and `iat` up to this many seconds ahead are accepted; beyond, 401.
 */
export const CUSTOMER_TOKEN_CLOCK_TOLERANCE_SECONDS = 30;
