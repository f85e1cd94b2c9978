// The hand-written layer over the generated types (schema.ts) and openapi-fetch: connect()
// (key header, typed errors, retries), page iteration, presigned uploads, Idempotency-Key
// and If-Match helpers.

import createClient, { type Client, type Middleware } from "openapi-fetch";

import { NotFound, errorFor } from "./errors.js";
import { type Fetch, type RetryOptions, retryingFetch } from "./retry.js";
import type { components, paths } from "./schema.js";

export * from "./errors.js";
export { type Fetch, type RetryOptions, repeatable, retryable, retryingFetch } from "./retry.js";
export type { components, operations, paths } from "./schema.js";
export type Schemas = components["schemas"];

export interface ConnectOptions extends RetryOptions {
  /** An API key, sent as `x-api-key` as is. */
  apiKey?: string;
  /** Or a JWT, sent as `Authorization: Bearer`. */
  token?: string;
  /** Headers for every request. */
  headers?: Record<string, string>;
  /** The fetch to send with (default: the global one). */
  fetch?: Fetch;
}

/** An openapi-fetch client for the API, and the base URL it was made for. */
export type PetsApi = Client<paths> & { readonly baseUrl: string };

/** A client for the API at `baseUrl` (stage included: `https://.../prod`). Every answer of
 * 400 or more throws an `ApiError` subclass; 429s, and 503s of requests that may run twice,
 * are retried after Retry-After (at most `maxWait` seconds). */
export function connect(baseUrl: string, options: ConnectOptions): PetsApi {
  const { apiKey, token } = options;
  if ((apiKey === undefined) === (token === undefined)) {
    throw new TypeError("Give apiKey or token (one of them).");
  }
  const auth: Record<string, string> =
    apiKey !== undefined
      ? { "x-api-key": checkHeaderValue(apiKey, "apiKey") }
      : { Authorization: `Bearer ${checkHeaderValue(token ?? "", "token")}` };
  const base = baseUrl.replace(/\/+$/, "");
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const client = createClient<paths>({
    baseUrl: base,
    headers: { ...options.headers, ...auth },
    fetch: retryingFetch(send, options),
  });
  client.use(throwOnError);
  return Object.assign(client, { baseUrl: base });
}

/** Throws the typed error before openapi-fetch parses the body (a proxy's HTML page too). */
const throwOnError: Middleware = {
  async onResponse({ response }) {
    if (response.status >= 400) throw await errorFor(response);
    return undefined;
  },
};

/** The body of a successful call: `const pet = ok(await api.GET("/v1/pets/{id}", ...))`. */
export function ok<T>(result: { data?: T; response: Response }): T {
  if (result.data === undefined) {
    throw new TypeError(`The ${result.response.status} answer has no body.`);
  }
  return result.data;
}

/** The ETag of an answer, for `If-Match` on the next write. */
export function etag(response: Response): string {
  const value = response.headers.get("etag");
  if (!value) throw new TypeError("The answer has no ETag header.");
  return value;
}

/** A fresh Idempotency-Key: send the same one with each retry of one operation. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

type GetOf<P> = P extends keyof paths ? (paths[P] extends { get: infer G } ? G : never) : never;
type PageOf<P> =
  GetOf<P> extends { responses: { 200: { content: { "application/json": infer B } } } } ? B : never;
type QueryOf<P> = GetOf<P> extends { parameters: { query?: infer Q } } ? Q : never;
/** The list routes: a page of `results` with a `next` link. */
export type ListPath = {
  [P in keyof paths]: PageOf<P> extends { results: unknown[]; next?: string | null } ? P : never;
}[keyof paths];

/** `for await (const page of pages(api, "/v1/pets", { species: "dog" }))`: the first page,
 * then each `next` link. A `next` page that has gone (404: the list shrank while iterating)
 * ends the iteration. */
export async function* pages<P extends ListPath>(
  api: PetsApi,
  path: P,
  query?: QueryOf<P>,
): AsyncGenerator<PageOf<P>> {
  // openapi-fetch types each literal path; this helper serves all of them.
  const get = api.GET as unknown as (path: string, init?: object) => Promise<{ data?: unknown }>;
  let page = (await get(path, { params: { query } })).data as PageOf<P>;
  yield page;
  for (;;) {
    const next = (page as { next?: string | null }).next;
    if (!next) return;
    // The key goes with every request: follow links below this API only.
    if (!next.startsWith(`${api.baseUrl}/`)) {
      throw new Error(`Refusing to follow a next link outside ${api.baseUrl}: ${next}`);
    }
    try {
      page = (await get(next.slice(api.baseUrl.length))).data as PageOf<P>;
    } catch (error) {
      if (error instanceof NotFound) return;
      throw error;
    }
    yield page;
  }
}

/** Each result of each page: `for await (const pet of items(pages(api, "/v1/pets")))`. */
export async function* items<T>(source: AsyncIterable<{ results: T[] }>): AsyncGenerator<T> {
  for await (const page of source) yield* page.results;
}

/** A multipart/form-data body, typed as the operation's: openapi-typescript types a file as a
 * string (format binary), but the request must carry the Blob. `undefined` fields are left out:
 * `api.POST("/v1/photos", { body: multipart({ file, pet: 1 }, "rex.png") })`. */
export function multipart<T>(
  fields: Record<string, string | number | Blob | undefined>,
  filename = "upload",
): NonNullable<T> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value instanceof Blob) form.append(name, value, filename);
    else if (value !== undefined) form.append(name, String(value));
  }
  return form as unknown as NonNullable<T>; // openapi-fetch sends FormData as it is
}

/** POST the presigned form `POST /v1/photos/uploads` returned: its fields unchanged, then
 * the file (S3, or the local stand-in). No key is sent: the signed form is the authorisation,
 * and the bucket is another host. */
export async function sendUpload(
  upload: Schemas["PresignedUpload"],
  file: Blob,
  filename = "upload",
  send: Fetch = (request) => globalThis.fetch(request),
): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append("file", file, filename); // last: S3 ignores fields after the file
  const response = await send(new Request(upload.url, { method: upload.method, body: form }));
  if (response.status >= 400) throw await errorFor(response);
  await response.body?.cancel();
}

function checkHeaderValue(value: string, name: string): string {
  // Sent as is: `.` and other printable characters need no escaping, but a line break
  // would split the header and surrounding blanks would be trimmed by the server.
  if (!/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value)) {
    throw new TypeError(`${name} must be printable ASCII without surrounding blanks.`);
  }
  return value;
}
