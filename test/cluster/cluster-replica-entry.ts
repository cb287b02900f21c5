/**
 * TEMPORARY: a replica on the Redis state for the cluster suite until src/server.ts reads REDIS_URL and
 * STATE_ENCRYPTION_KEY itself. Builds the Redis state from those two variables, then runs buildApp as server.ts does.
 */
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { systemClock } from "../../src/lib/clock.js";
import { createLogger } from "../../src/logger.js";
import { connectRedisState } from "../../src/state/redis/redis-state.js";

const { REDIS_URL, STATE_ENCRYPTION_KEY, ...env } = process.env;
const config = loadConfig(env);
const logger = createLogger(config.logLevel);
const state = connectRedisState(
  REDIS_URL!,
  { encryptionKeys: STATE_ENCRYPTION_KEY!.split(",").map((k) => Buffer.from(k, "base64")), onError: (error, source) => logger.warn({ err: error, source }, "redis") },
  systemClock,
);
const app = await buildApp(config, { logger, state });
// SIGTERM ends the process the default way: the suite kills replicas, it never drains them.
const url = await app.listen({ port: config.port, host: config.host });
logger.info({ url }, "API ready");
