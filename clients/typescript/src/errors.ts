// Typed errors: every answer of 400 or more throws one, whatever its body (the API's JSON,
// or a proxy's HTML page).

/** How much of a non-JSON body an error message quotes. */
const SNIPPET = 200;

/** An error answer: `message` and `errors` from the API's `{"message", "errors"}` body;
 * anything else (an HTML page from a proxy, an empty body) keeps its text in `body`. */
export class ApiError extends Error {
  readonly status: number;
  readonly errors: Record<string, string[]>;
  readonly headers: Headers;
  readonly body: string;

  constructor(status: number, headers: Headers, body: string, statusText = "") {
    const document = jsonObject(body);
    const message = typeof document?.message === "string" ? document.message : fallback(body, statusText);
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.errors = fieldErrors(document?.errors);
  }

  /** Seconds the server asked to wait (Retry-After), if it said. */
  get retryAfter(): number | undefined {
    return retryAfter(this.headers);
  }

  /** The object's current ETag, where the server sent one (412). */
  get etag(): string | undefined {
    return this.headers.get("etag") ?? undefined;
  }
}

/** 400: `errors` names each bad field or parameter. */
export class BadRequest extends ApiError {}
export class Unauthorized extends ApiError {}
/** 403: a missing, unknown, revoked or expired key (or a token without the scope). */
export class Forbidden extends ApiError {}
/** 404: no such object (someone else's is a 404 too), route, or page. */
export class NotFound extends ApiError {}
/** 409: a request with the same Idempotency-Key is still running; see `retryAfter`. */
export class Conflict extends ApiError {}
/** 412: If-Match did not match; `etag` is the object's current ETag. */
export class PreconditionFailed extends ApiError {}
/** 413: the body is over the size limit. */
export class PayloadTooLarge extends ApiError {}
export class UnsupportedMediaType extends ApiError {}
/** 422: this Idempotency-Key was used for a different request. */
export class UnprocessableEntity extends ApiError {}
/** 428: the server requires If-Match on this write. */
export class PreconditionRequired extends ApiError {}
/** 429: throttled (`Too Many Requests`) or out of quota (`Limit Exceeded`). */
export class TooManyRequests extends ApiError {}
/** 5xx from the app, the gateway, or a proxy in between. */
export class ServerError extends ApiError {}
/** 503: try again after `retryAfter` seconds. */
export class ServiceUnavailable extends ServerError {}

const BY_STATUS: Record<number, typeof ApiError> = {
  400: BadRequest,
  401: Unauthorized,
  403: Forbidden,
  404: NotFound,
  409: Conflict,
  412: PreconditionFailed,
  413: PayloadTooLarge,
  415: UnsupportedMediaType,
  422: UnprocessableEntity,
  428: PreconditionRequired,
  429: TooManyRequests,
  503: ServiceUnavailable,
};

/** The typed error for an answer of 400 or more; reads the body. */
export async function errorFor(response: Response): Promise<ApiError> {
  const body = await response.text();
  const Kind = BY_STATUS[response.status] ?? (response.status >= 500 ? ServerError : ApiError);
  return new Kind(response.status, response.headers, body, response.statusText);
}

/** Retry-After in seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const moment = Date.parse(value);
  return Number.isNaN(moment) ? undefined : Math.max(0, (moment - now) / 1000);
}

function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const document: unknown = JSON.parse(body);
    return document !== null && typeof document === "object" && !Array.isArray(document)
      ? (document as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined; // Not JSON: an HTML error page from a proxy, or nothing.
  }
}

function fieldErrors(value: unknown): Record<string, string[]> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).map(([field, messages]) => [
      field,
      Array.isArray(messages) ? messages.map(String) : [String(messages)],
    ]),
  );
}

function fallback(body: string, statusText: string): string {
  const text = body.split(/\s+/).join(" ").trim();
  const reason = statusText || "Error";
  return text ? `${reason}: ${text.slice(0, SNIPPET)}` : reason;
}
