// The hand-written layer without a server (a stub fetch): retries, typed errors from any
// body, unknown fields, odd keys, and links that must not be followed.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  ApiError,
  BadRequest,
  Conflict,
  PreconditionFailed,
  ServerError,
  ServiceUnavailable,
  TooManyRequests,
  connect,
  etag,
  newIdempotencyKey,
  Forbidden,
  ok,
  pages,
  retryAfter,
  sendUpload,
} from "../src/index.js";

const BASE = "https://api.example.com/prod";
const PET = {
  id: 1,
  name: "Rex",
  species: "dog",
  birth_date: null,
  notes: "",
  version: 1,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/** A client whose fetch gives `responses` in turn; the requests it saw and the waits. */
function stub(responses: Response[], options: { retries?: number; maxWait?: number } = {}) {
  const seen: Request[] = [];
  const bodies: string[] = [];
  const sleeps: number[] = [];
  const api = connect(BASE, {
    apiKey: "prefix.secret",
    ...options,
    sleep: async (seconds) => void sleeps.push(seconds),
    fetch: async (request) => {
      seen.push(request);
      bodies.push(await request.text());
      const response = responses[seen.length - 1];
      assert.ok(response, "more requests than answers");
      return response;
    },
  });
  return { api, seen, bodies, sleeps };
}

const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (e: unknown) => e);

describe("connect", () => {
  it("sends the key in x-api-key, as it is, under the stage", async () => {
    const { api, seen } = stub([json(200, PET)]);
    ok(await api.GET("/v1/pets/{id}", { params: { path: { id: 1 } } }));
    assert.equal(seen[0]?.url, `${BASE}/v1/pets/1`);
    assert.equal(seen[0]?.headers.get("x-api-key"), "prefix.secret");
    assert.equal(seen[0]?.headers.get("authorization"), null);
  });

  it("sends a token as a bearer token", async () => {
    const seen: Request[] = [];
    const api = connect(BASE, { token: "a.b.c", fetch: async (r) => (seen.push(r), json(200, PET)) });
    await api.GET("/v1/pets/{id}", { params: { path: { id: 1 } } });
    assert.equal(seen[0]?.headers.get("authorization"), "Bearer a.b.c");
    assert.equal(seen[0]?.headers.get("x-api-key"), null);
  });

  for (const key of ["", " padded", "line\nbreak", "café", "tab\t"]) {
    it(`refuses a key that cannot be a header value: ${JSON.stringify(key)}`, () => {
      assert.throws(() => connect(BASE, { apiKey: key }), /printable ASCII/);
    });
  }

  it("wants one credential exactly", () => {
    assert.throws(() => connect(BASE, {}), /apiKey or token/);
    assert.throws(() => connect(BASE, { apiKey: "a", token: "b" }), /apiKey or token/);
  });
});

describe("answers", () => {
  it("keeps fields the server added later", async () => {
    const { api } = stub([json(200, { ...PET, colour: "brown" })]);
    const pet = ok(await api.GET("/v1/pets/{id}", { params: { path: { id: 1 } } }));
    assert.equal(pet.name, "Rex");
    assert.equal((pet as unknown as Record<string, unknown>).colour, "brown");
  });

  it("turns a non-JSON server error from a proxy into a clear error", async () => {
    const page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    const { api } = stub([new Response(page, { status: 502, statusText: "Bad Gateway", headers: { "content-type": "text/html" } })], { retries: 0 });
    const error = await rejection(api.GET("/v1/pets/{id}", { params: { path: { id: 1 } } }));
    assert.ok(error instanceof ServerError);
    assert.equal(error.status, 502);
    assert.equal(error.message, `Bad Gateway: ${page}`);
    assert.deepEqual(error.errors, {});
  });

  for (const body of ["", "[]", '"oops"', "{", '{"message": 5}']) {
    it(`gives any error body a message: ${JSON.stringify(body)}`, async () => {
      const { api } = stub([new Response(body, { status: 500, statusText: "Internal Server Error" })]);
      const error = await rejection(api.GET("/v1/pets/{id}", { params: { path: { id: 1 } } }));
      assert.ok(error instanceof ServerError);
      assert.ok(error.message.startsWith("Internal Server Error"));
      assert.equal(error.body, body);
    });
  }

  it("reads validation errors leniently", async () => {
    const body = { message: "Invalid input.", errors: { name: ["Too long."], odd: "one", n: [1] } };
    const { api } = stub([json(400, body)]);
    const error = await rejection(api.POST("/v1/pets", { body: { name: "x", species: "dog" } }));
    assert.ok(error instanceof BadRequest);
    assert.deepEqual(error.errors, { name: ["Too long."], odd: ["one"], n: ["1"] });
    assert.equal(error.name, "BadRequest");
  });

  it("gives a 412's current ETag, and etag() reads an answer's", async () => {
    const { api } = stub([json(200, PET, { etag: '"1"' }), json(412, { message: "Precondition Failed" }, { etag: '"2"' })]);
    const { response } = await api.GET("/v1/pets/{id}", { params: { path: { id: 1 } } });
    assert.equal(etag(response), '"1"');
    const error = await rejection(api.GET("/v1/pets/{id}", { params: { path: { id: 1 } } }));
    assert.ok(error instanceof PreconditionFailed);
    assert.equal(error.etag, '"2"');
  });
});

describe("retries", () => {
  it("retries a 429 after Retry-After with the same body", async () => {
    const { api, sleeps, bodies } = stub([json(429, { message: "Too Many Requests" }, { "retry-after": "2" }), json(201, PET)]);
    ok(await api.POST("/v1/pets", { body: { name: "R", species: "dog" } }));
    assert.deepEqual(sleeps, [2]);
    assert.equal(bodies.length, 2);
    assert.equal(bodies[1], bodies[0]);
  });

  it("stops after the last retry with the typed error", async () => {
    const refused = () => json(429, { message: "Too Many Requests" }, { "retry-after": "1" });
    const { api, seen, sleeps } = stub([refused(), refused(), refused()], { retries: 2 });
    const error = await rejection(api.GET("/v1/pets/{id}", { params: { path: { id: 1 } } }));
    assert.ok(error instanceof TooManyRequests);
    assert.deepEqual([seen.length, sleeps, error.retryAfter], [3, [1, 1], 1]);
  });

  it("does not retry a wait longer than maxWait", async () => {
    const { api, seen, sleeps } = stub([json(429, { message: "Limit Exceeded" }, { "retry-after": "3600" })], { maxWait: 60 });
    await assert.rejects(api.GET("/v1/usage"), TooManyRequests);
    assert.deepEqual([seen.length, sleeps], [1, []]);
  });

  it("retries a read's 503, backing off when no Retry-After came", async () => {
    const unavailable = () => json(503, { message: "Service Unavailable" });
    const { api, seen, sleeps } = stub([unavailable(), unavailable(), json(200, PET)]);
    ok(await api.GET("/v1/pets/{id}", { params: { path: { id: 1 } } }));
    assert.deepEqual([seen.length, sleeps], [3, [0.5, 1]]);
  });

  it("does not retry a create's 503 without an Idempotency-Key", async () => {
    const { api, seen } = stub([json(503, { message: "Service Unavailable" }, { "retry-after": "5" })]);
    const error = await rejection(api.POST("/v1/pets", { body: { name: "R", species: "dog" } }));
    assert.ok(error instanceof ServiceUnavailable);
    assert.deepEqual([seen.length, error.retryAfter], [1, 5]);
  });

  it("retries a create with an Idempotency-Key, with the same key", async () => {
    const { api, seen } = stub([
      json(503, { message: "Service Unavailable" }, { "retry-after": "1" }),
      json(409, { message: "In progress" }, { "retry-after": "1" }),
      json(201, PET),
    ]);
    const key = newIdempotencyKey();
    const params = { header: { "Idempotency-Key": key } };
    ok(await api.POST("/v1/pets", { body: { name: "R", species: "dog" }, params }));
    assert.deepEqual(seen.map((r) => r.headers.get("idempotency-key")), [key, key, key]);
  });

  it("retries a network error for a keyed create only", async () => {
    let calls = 0;
    const sleeps: number[] = [];
    const api = connect(BASE, {
      apiKey: "k",
      sleep: async (seconds) => void sleeps.push(seconds),
      fetch: async () => {
        calls++;
        if (calls === 1) throw new TypeError("fetch failed");
        return json(201, PET);
      },
    });
    const body = { name: "R", species: "dog" as const };
    ok(await api.POST("/v1/pets", { body, params: { header: { "Idempotency-Key": newIdempotencyKey() } } }));
    assert.deepEqual([calls, sleeps], [2, [0.5]]);

    calls = 0;
    await assert.rejects(api.POST("/v1/pets", { body }), TypeError);
    assert.equal(calls, 1);
  });

  for (const status of [502, 504]) {
    it(`retries a read's ${status}`, async () => {
      const { api, seen } = stub([json(status, { message: "Gateway" }), json(200, PET)]);
      ok(await api.GET("/v1/pets/{id}", { params: { path: { id: 1 } } }));
      assert.equal(seen.length, 2);
    });
  }

  it("treats a 409 without an Idempotency-Key as a conflict", async () => {
    const { api, seen } = stub([json(409, { message: "Conflict" }, { "retry-after": "1" })]);
    await assert.rejects(api.GET("/v1/usage"), Conflict);
    assert.equal(seen.length, 1);
  });

  it("reads Retry-After as an HTTP date", () => {
    const now = Date.now();
    const later = new Date(now + 30_000).toUTCString();
    assert.ok(Math.abs((retryAfter(new Headers({ "retry-after": later }), now) ?? 0) - 30) <= 1);
    assert.equal(retryAfter(new Headers({ "retry-after": "soon" })), undefined);
    assert.equal(retryAfter(new Headers()), undefined);
  });
});

describe("pages", () => {
  const first = { count: 3, next: `${BASE}/v1/pets?page=2`, previous: null, results: [PET] };

  it("refuses a next link outside the API", async () => {
    const { api, seen } = stub([json(200, { ...first, next: "https://evil.example.com/v1/pets?page=2" })]);
    const iterator = pages(api, "/v1/pets");
    await iterator.next();
    await assert.rejects(iterator.next(), /Refusing to follow/);
    assert.equal(seen.length, 1);
  });

  it("follows next with its query as it is", async () => {
    const { api, seen } = stub([json(200, { ...first, next: `${BASE}/v1/pets?ordering=name&ordering=-created_at&page=2` }), json(200, { ...first, next: null })]);
    const sizes: number[] = [];
    for await (const page of pages(api, "/v1/pets", { ordering: ["name", "-created_at"] })) sizes.push(page.results.length);
    assert.deepEqual(sizes, [1, 1]);
    assert.equal(seen[0]?.url, `${BASE}/v1/pets?ordering=name&ordering=-created_at`);
    assert.equal(seen[1]?.url, `${BASE}/v1/pets?ordering=name&ordering=-created_at&page=2`);
  });

  it("stops at a 404 but not at other errors", async () => {
    let found = 0;
    for await (const _ of pages(stub([json(200, first), json(404, { message: "Not Found" })]).api, "/v1/pets")) found++;
    assert.equal(found, 1);
    const failing = pages(stub([json(200, first), new Response("boom", { status: 500 })]).api, "/v1/pets");
    await failing.next();
    await assert.rejects(failing.next(), ServerError);
  });

  it("ok() refuses an answer without a body", () => {
    assert.throws(() => ok({ response: new Response(null, { status: 204 }) }), /no body/);
    assert.ok(new ServiceUnavailable(503, new Headers(), "") instanceof ApiError);
  });
});

describe("sendUpload", () => {
  const upload = {
    url: "https://bucket.example.com/",
    method: "POST" as const,
    fields: { key: "uploads/1", "Content-Type": "image/png", policy: "p" },
    expires_at: "2030-01-01T00:00:00Z",
  };

  it("sends the fields, then the file, and no key", async () => {
    const seen: Request[] = [];
    await sendUpload(upload, new Blob([new Uint8Array([0x89, 0x50])], { type: "image/png" }), "rex.png", async (r) => {
      seen.push(r);
      return new Response(null, { status: 204 });
    });
    const request = seen[0];
    assert.ok(request);
    assert.equal(request.url, upload.url);
    assert.equal(request.headers.get("x-api-key"), null);
    const body = await request.text();
    const at = (text: string) => body.indexOf(text);
    assert.ok(at('name="key"') < at('name="Content-Type"') && at('name="Content-Type"') < at('name="policy"'));
    assert.ok(at('name="file"; filename="rex.png"') > at('name="policy"'));
  });

  it("throws the typed error S3 answers with", async () => {
    const refused = async () => new Response("<Error><Code>AccessDenied</Code></Error>", { status: 403 });
    const error = await rejection(sendUpload(upload, new Blob(["x"]), "x", refused));
    assert.ok(error instanceof Forbidden);
    assert.ok(error.message.includes("AccessDenied"));
  });
});
