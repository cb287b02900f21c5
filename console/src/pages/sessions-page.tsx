import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Outcome, type SessionList, type SessionSummary } from "../api/client.js";
import { formatTime, isoToLocal, kindLabels, localToIso, outcomeLabels } from "../format.js";
import { ErrorBox } from "../parts/error-box.js";
import { OutcomeBadge } from "../parts/outcome-badge.js";
import { hrefOf, navigate } from "../router.js";

const FILTERS = ["subject", "kind", "outcome", "createdFrom", "createdTo"] as const;

/** The URL's filters, as the API's query (the hash is the source of truth, so a filtered list can be bookmarked). */
function listQuery(params: URLSearchParams, cursor?: string): string {
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value) query.set(name, value);
  }
  query.set("limit", "20");
  if (cursor) query.set("cursor", cursor);
  return `/v1/sessions?${query}`;
}

export function SessionsPage({ params, onUnauthorized }: { params: URLSearchParams; onUnauthorized: () => void }) {
  const [items, setItems] = useState<SessionSummary[] | undefined>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const filterKey = params.toString();

  const load = async (from?: string) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await api<SessionList>(listQuery(params, from));
      setItems((previous) => (from ? [...(previous ?? []), ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) onUnauthorized();
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    setItems(undefined);
    void load();
  }, [filterKey]);

  const applyFilters = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const raw = String(form.get(name) ?? "").trim();
      const value = name === "createdFrom" || name === "createdTo" ? localToIso(raw) : raw;
      if (value) next.set(name, value);
    }
    navigate(hrefOf.list(next));
  };

  return (
    <section>
      <h1 tabIndex={-1}>Sessions</h1>
      <form class="filters" onSubmit={applyFilters} aria-label="Filter sessions" key={filterKey}>
        <div class="field">
          <label for="f-subject">Subject</label>
          <input id="f-subject" name="subject" defaultValue={params.get("subject") ?? ""} maxLength={128} />
        </div>
        <div class="field">
          <label for="f-kind">Kind</label>
          <select id="f-kind" name="kind" defaultValue={params.get("kind") ?? ""}>
            <option value="">Any</option>
            {Object.entries(kindLabels).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-outcome">Outcome</label>
          <select id="f-outcome" name="outcome" defaultValue={params.get("outcome") ?? ""}>
            <option value="">Any</option>
            {(Object.keys(outcomeLabels) as Outcome[]).map((value) => (
              <option key={value} value={value}>
                {outcomeLabels[value]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-from">Created from</label>
          <input id="f-from" name="createdFrom" type="datetime-local" defaultValue={isoToLocal(params.get("createdFrom"))} />
        </div>
        <div class="field">
          <label for="f-to">Created before</label>
          <input id="f-to" name="createdTo" type="datetime-local" defaultValue={isoToLocal(params.get("createdTo"))} />
        </div>
        <div class="field actions">
          <button type="submit">Apply filters</button>
          {filterKey && (
            <a class="button secondary" href={hrefOf.list()}>
              Clear
            </a>
          )}
        </div>
      </form>

      <ErrorBox error={error} title="The sessions could not be listed." />
      <p class="muted" role="status" aria-live="polite">
        {loading ? "Loading…" : items ? `${items.length} session${items.length === 1 ? "" : "s"} shown${cursor ? ", more available" : ""}.` : ""}
      </p>
      {items && items.length === 0 && !loading && (
        <p>
          No sessions{filterKey ? " match these filters" : " yet"}. <a href={hrefOf.create()}>Create one</a>.
        </p>
      )}
      {items && items.length > 0 && (
        <table class="sessions">
          <caption class="visually-hidden">Your sessions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Session</th>
              <th scope="col">Kind</th>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
              <th scope="col">Outcome</th>
              <th scope="col">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id}>
                <td data-label="Created">{formatTime(s.createdAt)}</td>
                <td data-label="Session">
                  <a href={hrefOf.session(s.id)} class="mono">
                    {s.id}
                  </a>
                </td>
                <td data-label="Kind">{kindLabels[s.kind]}</td>
                <td data-label="Subject">{s.subject ?? <span class="muted">none</span>}</td>
                <td data-label="Status">{s.status}</td>
                <td data-label="Outcome">
                  <OutcomeBadge outcome={s.outcome} />
                </td>
                <td data-label="Attempts">{s.attemptCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" class="secondary" disabled={loading} onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
    </section>
  );
}
