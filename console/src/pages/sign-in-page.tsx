import { useState } from "preact/hooks";
import { api, apiKeyStore, type SessionList } from "../api/client.js";
import { ErrorBox } from "../parts/error-box.js";

export function SignInPage({ devApiKey, onSignedIn }: { devApiKey: string | undefined; onSignedIn: () => void }) {
  const [key, setKey] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const value = key ?? devApiKey ?? "";

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // Any authenticated call proves the key; the cheapest is one list item.
      await api<SessionList>("/v1/sessions?limit=1", { apiKey: value });
      apiKeyStore.set(value);
      onSignedIn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <h1 tabIndex={-1}>Sign in</h1>
      <p>Use your API key (the one your backend sends in <code>x-api-key</code>). You see only your own sessions.</p>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          required
          value={value}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-describedby="api-key-help"
        />
        <p id="api-key-help" class="muted">
          {devApiKey
            ? "Emulator mode: the development key is filled in for you."
            : "The key is kept in this tab only (sessionStorage) and is forgotten when the tab closes."}
        </p>
        <button type="submit" disabled={busy || !value}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <ErrorBox error={error} title="Sign-in failed." />
    </section>
  );
}
