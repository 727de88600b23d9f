// The router Worker's main module exports only its handler (see workers/index.ts for why).
import { routeToRing } from "./route.ts";

export default {
  fetch: routeToRing,
} satisfies ExportedHandler<RouterEnv>;
