import { ApiException } from "@kubernetes/client-node";

/** One line for a log: an API error's code and the Status message, not client-node's whole dump with headers. */
export function describeError(e: unknown): string {
  if (e instanceof ApiException) {
    let message: string | undefined;
    try {
      const body = typeof e.body === "string" ? JSON.parse(e.body) : e.body;
      message = body?.message;
    } catch {
      message = undefined;
    }
    return `HTTP ${e.code}: ${message ?? String(e.body).slice(0, 300)}`;
  }
  return e instanceof Error ? e.message : String(e);
}
