/**
 * Auth tokens of sessions created in this tab, for the device simulator: in memory only, never in storage, so a
 * reload forgets them (the simulator then asks for the token to be pasted).
 */
const tokens = new Map<string, string>();

export const issuedTokens = {
  remember: (sessionId: string, token: string) => tokens.set(sessionId, token),
  get: (sessionId: string) => tokens.get(sessionId),
  forget: (sessionId: string) => tokens.delete(sessionId),
};
