/// <reference types="@cloudflare/vitest-plugin/types" />
declare module "*.ndjson?raw" {
  const text: string;
  export default text;
}
