import { useState } from "preact/hooks";
import { api, type SessionCreated, type SessionKind } from "../api/client.js";
import { kindLabels } from "../format.js";
import { issuedTokens } from "../issued-tokens.js";
import { ErrorBox } from "../parts/error-box.js";
import { hrefOf } from "../router.js";

/** The form's text fields as the API's create fields; empty ones are left out so the API's defaults apply. */
function createBody(form: FormData, kind: SessionKind): FormData | Record<string, unknown> {
  const text = (name: string) => String(form.get(name) ?? "").trim();
  const fields: Record<string, string> = { kind };
  for (const name of ["subject", "deviceCorrelationId", "authTokenTtlSeconds", "callbackUrl"]) if (text(name)) fields[name] = text(name);
  if (form.get("enableSessionImage") === "on") fields.enableSessionImage = "true";
  if (kind === "liveness") {
    const { authTokenTtlSeconds, enableSessionImage, ...rest } = fields;
    return {
      ...rest,
      ...(authTokenTtlSeconds !== undefined && { authTokenTtlSeconds: Number(authTokenTtlSeconds) }),
      ...(enableSessionImage !== undefined && { enableSessionImage: true }),
    };
  }
  // Verify sends the reference image as a file part: multipart, as a backend would with curl -F.
  const multipart = new FormData();
  for (const [name, value] of Object.entries(fields)) multipart.append(name, value);
  const image = form.get("verifyImage");
  if (image instanceof File && image.size > 0) multipart.append("verifyImage", image, image.name);
  return multipart;
}

export function CreatePage() {
  const [kind, setKind] = useState<SessionKind>("liveness");
  const [created, setCreated] = useState<SessionCreated | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await api<SessionCreated>("/v1/sessions", { method: "POST", body: createBody(new FormData(event.target as HTMLFormElement), kind) });
      issuedTokens.remember(session.id, session.authToken);
      setCreated(session);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    return (
      <section class="narrow">
        <h1 tabIndex={-1}>Session created</h1>
        <p>
          {kindLabels[created.kind]} session <code class="mono">{created.id}</code>.
        </p>
        <div class="warning" role="alert">
          <p>
            <strong>The auth token is shown once.</strong> Hand it to the device SDK now; the API never returns it again. This tab keeps it in
            memory for the device simulator until you reload.
          </p>
        </div>
        <label for="auth-token">Auth token (expires {new Date(created.authTokenExpiresAt).toLocaleString()})</label>
        <textarea id="auth-token" class="mono token" readOnly rows={4} value={created.authToken} />
        <div class="actions">
          <button
            type="button"
            class="secondary"
            onClick={() => void navigator.clipboard?.writeText(created.authToken).then(() => setCopied(true), () => setCopied(false))}
          >
            Copy token
          </button>
          <a class="button" href={hrefOf.session(created.id)}>
            Open the session
          </a>
          <button type="button" class="secondary" onClick={() => setCreated(undefined)}>
            Create another
          </button>
        </div>
        <p role="status" class="muted">
          {copied ? "Copied to the clipboard." : ""}
        </p>
      </section>
    );
  }

  return (
    <section class="narrow">
      <h1 tabIndex={-1}>New session</h1>
      <form onSubmit={submit}>
        <fieldset>
          <legend>Kind</legend>
          {(Object.keys(kindLabels) as SessionKind[]).map((value) => (
            <label key={value} class="choice">
              <input type="radio" name="kind" value={value} checked={kind === value} onChange={() => setKind(value)} />
              {kindLabels[value]}
            </label>
          ))}
        </fieldset>
        {kind === "livenessWithVerify" && (
          <>
            <label for="verify-image">Reference image (JPEG, PNG, GIF or BMP; 1 KB to 6 MB; one face)</label>
            <input id="verify-image" name="verifyImage" type="file" accept="image/jpeg,image/png,image/gif,image/bmp" required />
          </>
        )}
        <label for="subject">Subject (your reference for the end user; optional)</label>
        <input id="subject" name="subject" maxLength={128} />
        <label for="device">Device correlation id (optional)</label>
        <input id="device" name="deviceCorrelationId" maxLength={64} />
        <label for="ttl">Token lifetime in seconds (60 to 86400; default 600)</label>
        <input id="ttl" name="authTokenTtlSeconds" type="number" min={60} max={86400} inputMode="numeric" />
        <label for="callback">Webhook callback URL (optional; https)</label>
        <input id="callback" name="callbackUrl" type="url" />
        <label class="choice">
          <input type="checkbox" name="enableSessionImage" /> Keep the session image
        </label>
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create session"}
        </button>
      </form>
      <ErrorBox error={error} title="The session was not created." />
    </section>
  );
}
