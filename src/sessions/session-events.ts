/** The session events moved below the services (state/session-events.ts); webhooks/ still imports them from here. */
export * from "../state/session-events.js";
