/** Admin secret bound into the workerd test project only; real stacks generate their own. */
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
/** Body limit bound into the workerd test project, small so 413 is cheap to provoke. */
export const TEST_MAX_BODY_BYTES = 65_536;
