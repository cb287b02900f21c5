import { useEffect, useRef, useState } from "preact/hooks";
import { useErrorBoundary } from "preact/hooks";
import { api, apiKeyStore, type ConsoleSettings } from "./api/client.js";
import { CreatePage } from "./pages/create-page.js";
import { SessionPage } from "./pages/session-page.js";
import { SessionsPage } from "./pages/sessions-page.js";
import { SignInPage } from "./pages/sign-in-page.js";
import { ErrorBox } from "./parts/error-box.js";
import { hrefOf, useRoute, type Route } from "./router.js";

const routeKey = (route: Route) => (route.page === "session" ? `session:${route.id}` : route.page === "list" ? `list?${route.params}` : route.page);

export function App() {
  const [crash, resetCrash] = useErrorBoundary();
  const [signedIn, setSignedIn] = useState(() => apiKeyStore.get() !== null);
  const [settings, setSettings] = useState<ConsoleSettings | undefined>();
  const [settingsError, setSettingsError] = useState<unknown>();
  const route = useRoute();
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    api<ConsoleSettings>("/console/api/settings").then(setSettings, setSettingsError);
  }, []);

  // A new screen takes the focus, so keyboard and screen-reader users start at its heading.
  useEffect(() => {
    main.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [routeKey(route), signedIn]);

  const signOut = () => {
    apiKeyStore.clear();
    setSignedIn(false);
  };

  let page;
  if (crash) {
    page = (
      <>
        <h1 tabIndex={-1}>Something went wrong</h1>
        <ErrorBox error={crash} title="The console hit an error it did not expect." />
        <button type="button" onClick={resetCrash}>
          Try again
        </button>
      </>
    );
  } else if (!signedIn) {
    page = <SignInPage devApiKey={settings?.devApiKey} onSignedIn={() => setSignedIn(true)} />;
  } else if (route.page === "new") {
    page = <CreatePage />;
  } else if (route.page === "session") {
    page = <SessionPage key={route.id} id={route.id} deviceSimulator={settings?.deviceSimulator ?? false} onUnauthorized={signOut} />;
  } else {
    page = <SessionsPage params={route.params} onUnauthorized={signOut} />;
  }

  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <p class="brand">
          <a href={hrefOf.list()}>Liveness console</a>
          {settings?.deviceSimulator && <span class="badge badge-emulator">Emulator mode</span>}
        </p>
        {signedIn && (
          <nav aria-label="Main">
            <a href={hrefOf.list()} aria-current={route.page === "list" ? "page" : undefined}>
              Sessions
            </a>
            <a href={hrefOf.create()} aria-current={route.page === "new" ? "page" : undefined}>
              New session
            </a>
            <button type="button" class="link-button" onClick={signOut}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {settingsError !== undefined && <ErrorBox error={settingsError} title="The console's settings could not be read." />}
        {page}
      </main>
    </>
  );
}
