import { useEffect, useState } from "preact/hooks";
import { api, type DeviceAction, type DeviceReply, type Session } from "../api/client.js";
import { issuedTokens } from "../issued-tokens.js";
import { ErrorBox } from "./error-box.js";

/** A digest that is surely not Face's: each hex digit moved by one. */
export const wrongDigest = (digest: string) =>
  digest.replace(/[0-9a-f]/gi, (c) => ((parseInt(c, 16) + 1) % 16).toString(16).toUpperCase());

/**
 * Plays the phone's part against the embedded emulator (through the server's /console/api/device route), then
 * plays the app's part: hands the digest the SDK returned to /complete, or a wrong one to see DIGEST_MISMATCH.
 */
export function DeviceSimulator({ session, onChange }: { session: Session; onChange: () => void }) {
  const [token, setToken] = useState(() => issuedTokens.get(session.id) ?? "");
  const [errorCodes, setErrorCodes] = useState<string[]>([]);
  const [errorCode, setErrorCode] = useState("");
  const [reply, setReply] = useState<DeviceReply>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api<{ errorCodes: string[] }>("/console/api/device").then(
      (options) => {
        setErrorCodes(options.errorCodes);
        setErrorCode(options.errorCodes[0] ?? "");
      },
      (e: unknown) => setError(e),
    );
  }, []);

  const run = async (label: string, work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    setNotice("");
    try {
      await work();
      setNotice(`${label}: done.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      onChange();
    }
  };

  const device = (label: string, action: DeviceAction) =>
    run(label, async () => {
      const answer = await api<DeviceReply>("/console/api/device", { method: "POST", body: { kind: session.kind, authToken: token, action } });
      setReply(answer);
    });

  const complete = (label: string, clientDigest: string) =>
    run(label, async () => {
      await api<Session>(`/v1/sessions/${session.id}/complete`, { method: "POST", body: { clientDigest } });
    });

  const noToken = token.trim() === "";
  return (
    <div class="simulator">
      <p>
        You are the phone: choose what the camera check finds. The emulator records it as Face would; the session page follows it live.
      </p>
      {!issuedTokens.get(session.id) && (
        <>
          <label for="sim-token">Auth token (this tab did not create the session; paste the token it was given)</label>
          <input id="sim-token" class="mono" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        </>
      )}
      <div class="actions" role="group" aria-label="Device outcome">
        <button type="button" class="secondary" disabled={busy || noToken} onClick={() => void device("Start", { type: "start" })}>
          Start (no result yet)
        </button>
        <button type="button" disabled={busy || noToken} onClick={() => void device("Real face", { type: "result", livenessDecision: "realface" })}>
          Real face
        </button>
        <button type="button" disabled={busy || noToken} onClick={() => void device("Spoof", { type: "result", livenessDecision: "spoofface" })}>
          Spoof
        </button>
        <button type="button" disabled={busy || noToken} onClick={() => void device("Uncertain", { type: "result", livenessDecision: "uncertain" })}>
          Uncertain
        </button>
      </div>
      <div class="actions">
        <label for="sim-error">Attempt error</label>
        <select id="sim-error" value={errorCode} onChange={(e) => setErrorCode((e.target as HTMLSelectElement).value)}>
          {errorCodes.map((code) => (
            <option key={code} value={code}>
              {code}
            </option>
          ))}
        </select>
        <button type="button" class="secondary" disabled={busy || noToken || !errorCode} onClick={() => void device("Failed attempt", { type: "error", errorCode })}>
          Fail the attempt
        </button>
      </div>
      {reply?.digest && (
        <div class="digest">
          <p>
            Attempt {reply.attemptId}: the device SDK hands your app this digest:
            <br />
            <code class="mono" data-testid="device-digest">
              {reply.digest}
            </code>
          </p>
          <div class="actions">
            <button type="button" disabled={busy} onClick={() => void complete("Digest sent", reply.digest!)}>
              Send it with /complete
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => void complete("Wrong digest sent", wrongDigest(reply.digest!))}>
              Send a wrong digest
            </button>
          </div>
        </div>
      )}
      {reply && !reply.digest && reply.attemptId !== undefined && <p>Attempt {reply.attemptId} failed on the device: no digest (Face digests results only).</p>}
      {reply?.status && <p>The device started; the session is {reply.status}.</p>}
      <p role="status" class="muted">
        {notice}
      </p>
      <ErrorBox error={error} title="The device step failed." />
    </div>
  );
}
