// One whole session against the API and the emulator running from the image, over real HTTP:
// create, play the device, complete with the digest, read "approved", delete. test-image.sh runs it with the host's
// node: node docker/test-image-session.mjs <apiUrl> <emulatorUrl> <apiKey> <faceKey>
// Plain JavaScript for whatever node the host has (no build step); any failure throws, and node exits non-zero.
/* global process, console, fetch, AbortSignal, setTimeout */
const [apiUrl, emulatorUrl, apiKey, faceKey] = process.argv.slice(2);
if (!apiUrl || !emulatorUrl || !apiKey || !faceKey) {
  throw new Error("usage: node docker/test-image-session.mjs <apiUrl> <emulatorUrl> <apiKey> <faceKey>");
}

const STARTUP_BUDGET_MS = 60_000;
const step = (message) => console.log(`  session: ${message}`);

function check(condition, message, detail) {
  if (!condition) throw new Error(`${message}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
}

async function call(url, { method = "GET", headers = {}, body } = {}) {
  const response = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: response.status, body: json };
}

/** Polls until `probe` answers true; the processes were just started and a busy machine may be slow. */
async function waitUntil(what, probe) {
  const deadline = Date.now() + STARTUP_BUDGET_MS;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not come up within ${STARTUP_BUDGET_MS / 1000}s${last ? ` (${last.message})` : ""}`);
}

const face = { "ocp-apim-subscription-key": faceKey };
const caller = { "x-api-key": apiKey };

await waitUntil("the emulator", async () => (await call(`${emulatorUrl}/emulator/faults`, { headers: face })).status === 200);
step("emulator answers with the Face key");
await waitUntil("the API", async () => (await call(`${apiUrl}/healthz`)).status === 200);
// Ready means the API reached the emulator with its Face key: the wiring, not just the process.
const ready = await call(`${apiUrl}/readyz`);
check(ready.status === 200 && ready.body?.status === "ready", "GET /readyz is not ready", ready);
step("API is live and ready");

const created = await call(`${apiUrl}/v1/sessions`, {
  method: "POST",
  headers: caller,
  body: { kind: "liveness", deviceCorrelationId: "image-test-device" },
});
check(created.status === 201 && typeof created.body?.authToken === "string", "POST /v1/sessions did not answer 201 with a token", created.status);
const { id, authToken } = created.body;
step(`created ${id}`);

const device = await call(`${emulatorUrl}/face/v1.2/detectLiveness/singleModal`, {
  method: "POST",
  headers: { authorization: `Bearer ${authToken}` },
  body: { livenessDecision: "realface" },
});
check(device.status === 200 && typeof device.body?.digest === "string", "the device attempt at the emulator failed", device);
step("device played a real face");

const completed = await call(`${apiUrl}/v1/sessions/${id}/complete`, {
  method: "POST",
  headers: caller,
  body: { clientDigest: device.body.digest },
});
check(completed.status === 200 && completed.body?.decision?.outcome === "approved", "POST /complete did not approve", completed);
const read = await call(`${apiUrl}/v1/sessions/${id}`, { headers: caller });
check(read.status === 200 && read.body?.decision?.outcome === "approved", "GET /v1/sessions/{id} does not say approved", read);
step("decision: approved");

const deleted = await call(`${apiUrl}/v1/sessions/${id}`, { method: "DELETE", headers: caller });
check(deleted.status === 204, "DELETE did not answer 204", deleted);
const gone = await call(`${apiUrl}/v1/sessions/${id}`, { headers: caller });
check(gone.status === 404, "the deleted session is still readable", gone.status);
step("deleted");
