import { ApiError } from "../api/client.js";

/** Every failure the console shows: the envelope's code and message, the request id to quote, failing fields. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (error === undefined || error === null) return null;
  const api = error instanceof ApiError ? error : undefined;
  const message = api ? api.message : error instanceof Error ? error.message : String(error);
  return (
    <div class="error" role="alert">
      <p class="error-title">
        {title ?? "That did not work."} {api && <code class="error-code">{api.code}</code>}
      </p>
      <p class="error-message">{message}</p>
      {api && api.fields.length > 0 && (
        <ul>
          {api.fields.map((f) => (
            <li key={f.path}>
              <code>{f.path}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {api?.requestId && <p class="muted">Request id: {api.requestId}</p>}
    </div>
  );
}
