/**
 * Hash routes, so the server serves one page for every screen and a reload keeps the screen:
 * #/sessions?filters, #/sessions/<id>, #/new.
 */
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "list"; params: URLSearchParams }
  | { page: "session"; id: string }
  | { page: "new" };

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?");
  const session = /^\/sessions\/([0-9a-fA-F-]{36})$/.exec(path);
  if (session) return { page: "session", id: session[1]! };
  if (path === "/new") return { page: "new" };
  return { page: "list", params: new URLSearchParams(query) };
}

export const hrefOf = {
  list: (params?: URLSearchParams) => `#/sessions${params && params.size ? `?${params}` : ""}`,
  session: (id: string) => `#/sessions/${id}`,
  create: () => "#/new",
};

export function navigate(href: string): void {
  location.hash = href;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
