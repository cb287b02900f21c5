/** The typed client: createLsoClient for the API, verifyWebhook for your receiver, and the generated types. */
export * from "./lso-client.js";
export * from "./lso-errors.js";
export * from "./webhook-verify.js";
export type { components, operations, paths, webhooks } from "./openapi-types.js";
