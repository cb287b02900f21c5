/**
 * Key Vault and Entra ID as nock holds them (they are Azure cloud hosts, unreachable from here): the challenge flow
 * of CONTRACT.md §8 (vault 401 + WWW-Authenticate → token POST → vault 200), with counters so tests can assert
 * how often each was asked. Persisted interceptors branch on the request, so concurrency cannot upset the order.
 */
import nock from "nock";

export const VAULT = "https://lso-test.vault.azure.net";
export const LOGIN = "https://login.microsoftonline.com";
export const TENANT = "8f3c2a1e-5b7d-4e9f-a1c3-7d2e9b4f6a80";
export const CLIENT_ID = "0b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
export const CLIENT_SECRET = "client-secret-value-never-logged";

export interface FakeVault {
  secrets: Record<string, string>;
  /** Answer every read with this instead (e.g. a 403), while set. */
  failWith?: { status: number; code: string } | { networkError: string };
  challenges: number;
  reads: Record<string, number>;
}

export interface FakeLogin {
  issued: { scope: string; token: string }[];
  expiresIn: number;
}

export function fakeVault(initial: Record<string, string>, vaultUrl = VAULT): FakeVault {
  const vault: FakeVault = { secrets: { ...initial }, challenges: 0, reads: {} };
  nock(vaultUrl)
    .persist()
    .get(/^\/secrets\/[^/]+\/$/)
    .query(true)
    .reply((request) => {
      const name = decodeURIComponent(new URL(request.url).pathname.split("/")[2] ?? "");
      if (!request.headers.get("authorization")) {
        vault.challenges += 1;
        return [
          401,
          { error: { code: "Unauthorized", message: "Request is missing a Bearer or PoP token." } },
          { "WWW-Authenticate": `Bearer authorization="${LOGIN}/${TENANT}", resource="https://vault.azure.net"` },
        ];
      }
      vault.reads[name] = (vault.reads[name] ?? 0) + 1;
      if (vault.failWith && "status" in vault.failWith) {
        return [vault.failWith.status, { error: { code: vault.failWith.code, message: "refused" } }];
      }
      const value = vault.secrets[name];
      if (value === undefined) return [404, { error: { code: "SecretNotFound", message: `A secret with (name/id) ${name} was not found in this key vault.` } }];
      return [
        200,
        {
          value,
          id: `${vaultUrl}/secrets/${name}/0123456789abcdef0123456789abcdef`,
          attributes: { enabled: true, created: 1700000000, updated: 1700000000, recoveryLevel: "Recoverable+Purgeable" },
        },
      ];
    });
  return vault;
}

/** The token endpoint for the client-secret flow; tokens are numbered so tests can tell them apart. */
export function fakeLogin(expiresIn = 3600): FakeLogin {
  const login: FakeLogin = { issued: [], expiresIn };
  nock(LOGIN)
    .persist()
    .post(`/${TENANT}/oauth2/v2.0/token`)
    .query(true)
    .reply(async (request) => {
      const scope = new URLSearchParams(await request.text()).get("scope") ?? "";
      const token = `access-token-${login.issued.length + 1}-for-${scope.includes("vault") ? "vault" : "face"}`;
      login.issued.push({ scope, token });
      return [200, { token_type: "Bearer", expires_in: login.expiresIn, ext_expires_in: login.expiresIn, access_token: token }];
    });
  return login;
}

/** A service principal in the environment, and nothing else, so DefaultAzureCredential never probes IMDS or the CLI. */
export function useServicePrincipalEnv(): () => void {
  const names = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: CLIENT_SECRET, AZURE_TOKEN_CREDENTIALS: "EnvironmentCredential" };
  const before = Object.fromEntries(Object.keys(names).map((k) => [k, process.env[k]]));
  Object.assign(process.env, names);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
