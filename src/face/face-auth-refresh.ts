/**
 * Follows a Face key rotation without a restart: when Face answers 401, re-read the key (Key Vault) and, if it
 * changed, retry the call once. Concurrent 401s share one refresh (KeyVaultSecrets coalesces them).
 *
 * Retrying a create is safe here, and only here: a 401 comes from the Azure AI services gateway, which refuses the
 * request before it reaches Face, so no session was created. 403 (e.g. a feature not approved) is not retried:
 * a new key would not change the answer.
 */
import type { FastifyBaseLogger } from "fastify";
import { isAppError } from "../errors.js";
import type { FaceGateway } from "./face-gateway.js";

function isUnauthorized(error: unknown): boolean {
  return isAppError(error) && error.code === "LSO_ERR_UPSTREAM_AUTH" && error.upstreamStatus === 401;
}

export interface KeyRefresher {
  /** Re-reads the key (coalesced and throttled by the source). */
  refresh(): Promise<unknown>;
  /** Changes whenever the key does. */
  version(): number;
}

export function withCredentialRefresh(inner: FaceGateway, key: KeyRefresher, logger: FastifyBaseLogger): FaceGateway {
  const once =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      // Compare versions rather than trusting refresh()'s answer: a 401 that lands just after another call's
      // refresh must still retry, because the key it was sent with is no longer the current one.
      const usedVersion = key.version();
      try {
        return await call(...args);
      } catch (error) {
        if (!isUnauthorized(error)) throw error;
        await key.refresh();
        if (key.version() === usedVersion) throw error;
        logger.info("Face key rotated after a 401; retrying the call once with the new key");
        return call(...args);
      }
    };
  return {
    createLivenessSession: once(inner.createLivenessSession.bind(inner)),
    createLivenessWithVerifySession: once(inner.createLivenessWithVerifySession.bind(inner)),
    getSession: once(inner.getSession.bind(inner)),
    deleteSession: once(inner.deleteSession.bind(inner)),
    getSessionImage: once(inner.getSessionImage.bind(inner)),
    probe: once(inner.probe.bind(inner)),
  };
}
