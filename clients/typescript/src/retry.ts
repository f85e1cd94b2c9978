// Retries that are safe: a 429 (the request was refused before it ran), and for requests that
// may run twice (GET, PUT, DELETE, or any request with an Idempotency-Key) a 502/503/504, a
// network error, or a 409 saying the first request with that key still runs.

import { retryAfter } from "./errors.js";

/** Methods that mean the same when sent twice (RFC 9110, section 9.2.2). */
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
/** The gateway's and the app's "try again": a Lambda timeout, the database unavailable. */
const TRANSIENT = new Set([502, 503, 504]);

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** Longest wait, in seconds, worth retrying for (default 60): a used-up daily quota is not. */
  maxWait?: number;
  /** Seconds of the first backoff when no Retry-After was sent (doubled each time). */
  backoff?: number;
  /** How to wait (tests replace it). */
  sleep?: (seconds: number) => Promise<void>;
}

export type Fetch = (request: Request) => Promise<Response>;

const realSleep = (seconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** Whether the request means the same when it runs twice. */
export function repeatable(request: Request): boolean {
  return IDEMPOTENT_METHODS.has(request.method) || request.headers.has("idempotency-key");
}

/** Whether sending `request` again is safe, and may help, after `response`. */
export function retryable(request: Request, response: Response): boolean {
  if (response.status === 429) return true;
  if (TRANSIENT.has(response.status)) return repeatable(request);
  // The first request with this Idempotency-Key still runs: a retry gets its answer.
  return (
    response.status === 409 &&
    request.headers.has("idempotency-key") &&
    response.headers.has("retry-after")
  );
}

/** A fetch that waits what Retry-After says (or backs off) and sends again; the last answer
 * (or network error) comes back when retries run out or the server asks for more than
 * `maxWait` seconds. */
export function retryingFetch(base: Fetch, options: RetryOptions = {}): Fetch {
  const { retries = 3, maxWait = 60, backoff = 0.5, sleep = realSleep } = options;
  return async (request: Request): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await base(request.clone());
      } catch (error) {
        // fetch rejects with a TypeError when the network fails (an abort is not one).
        if (!(error instanceof TypeError) || attempt >= retries || !repeatable(request)) throw error;
        await sleep(backoff * 2 ** attempt);
        continue;
      }
      if (attempt >= retries || !retryable(request, response)) return response;
      const wait = retryAfter(response.headers) ?? backoff * 2 ** attempt;
      if (wait > maxWait) return response;
      await response.body?.cancel();
      await sleep(wait);
    }
  };
}
