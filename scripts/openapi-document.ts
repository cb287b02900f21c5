/** Renders the OpenAPI document from the routes, exactly as committed under openapi/. */
import { buildApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import type { FaceGateway } from "../src/face/face-gateway.js";

export const OPENAPI_PATH = new URL("../openapi/openapi.json", import.meta.url);

/** Generating the document must never call Face: every gateway method refuses. */
const offlineGateway: FaceGateway = new Proxy({} as FaceGateway, {
  get: () => () => Promise.reject(new Error("the OpenAPI generator does not call Face")),
});

export async function renderOpenApiDocument(): Promise<string> {
  const app = await buildApp(loadConfig({}), { faceGateway: offlineGateway, logger: createLogger("silent") });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
