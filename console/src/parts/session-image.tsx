import { useEffect, useState } from "preact/hooks";
import { getBlob } from "../api/client.js";
import { ErrorBox } from "./error-box.js";

/** The image needs the API key, so it is fetched and shown from a blob: URL (allowed by the console's CSP). */
export function SessionImage({ sessionId, version }: { sessionId: string; version: string }) {
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const controller = new AbortController();
    let objectUrl: string | undefined;
    getBlob(`/v1/sessions/${sessionId}/image`, controller.signal).then(
      (blob) => setUrl((objectUrl = URL.createObjectURL(blob))),
      (e: unknown) => controller.signal.aborted || setError(e),
    );
    return () => {
      controller.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [sessionId, version]);
  if (error) return <ErrorBox error={error} title="The session image could not be read." />;
  if (!url) return <p class="muted">Loading the session image…</p>;
  return <img class="session-image" src={url} alt="The session image Face kept of the latest attempt" />;
}
