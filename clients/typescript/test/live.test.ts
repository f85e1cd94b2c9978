// The client against the live API (rungateway, the real Lambda request path): every operation
// a user needs, each error as a typed exception, and iteration past a shrinking list.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";

import {
  BadRequest,
  Forbidden,
  NotFound,
  PayloadTooLarge,
  type PetsApi,
  PreconditionFailed,
  type Schemas,
  TooManyRequests,
  Unauthorized,
  UnprocessableEntity,
  connect,
  etag,
  items,
  multipart,
  newIdempotencyKey,
  ok,
  pages,
  sendUpload,
} from "../src/index.js";
import { png } from "./images.js";

const url = process.env.PETS_API_URL;
const key = process.env.PETS_API_KEY ?? "";
const limitedKey = process.env.PETS_API_LIMITED_KEY ?? "";
const skip = url ? false : "PETS_API_URL is not set: `make test-clients` runs these against rungateway";
const base = url ?? "http://127.0.0.1:9/prod";
const api: PetsApi = connect(base, { apiKey: key || "unset" });
const tokenUrl = process.env.PETS_API_TOKEN_URL ?? base;
const token = process.env.PETS_API_TOKEN ?? "unset";

/** A word unique to one test, so `search` finds that test's pets only. */
const tag = (): string => randomUUID().replaceAll("-", "").slice(0, 10);

async function create(name: string, species: Schemas["SpeciesEnum"] = "dog", notes = ""): Promise<Schemas["Pet"]> {
  return ok(await api.POST("/v1/pets", { body: { name, species, notes } }));
}

describe("the live API", { skip }, () => {
  it("creates a pet: 201, the pet and its Location", async () => {
    const { data, response } = await api.POST("/v1/pets", {
      body: { name: "Rex", species: "dog", notes: "Good boy" },
    });
    assert.equal(response.status, 201);
    assert.ok(data);
    assert.equal(response.headers.get("location"), `${base}/v1/pets/${data.id}`);
    assert.deepEqual([data.name, data.species, data.notes, data.version], ["Rex", "dog", "Good boy", 1]);
  });

  it("lists with every filter and a multi-field ordering", async () => {
    const word = tag();
    const first = await create(`${word} Rex`, "dog", "older");
    const second = await create(`${word} Rex`, "dog", "newer");
    const ace = await create(`${word} Ace`, "dog");
    await create(`${word} Tom`, "cat");
    await create("Unrelated Rex", "dog");

    const page = ok(
      await api.GET("/v1/pets", {
        params: {
          query: { species: "dog", search: word, ordering: ["name", "-created_at"], page: 1, page_size: 10 },
        },
      }),
    );
    assert.equal(page.count, 3);
    assert.deepEqual(page.results.map((pet) => pet.id), [ace.id, second.id, first.id]);
    const reverse = ok(
      await api.GET("/v1/pets", { params: { query: { species: "dog", search: word, ordering: ["-name", "created_at"] } } }),
    );
    assert.deepEqual(reverse.results.map((pet) => pet.id), [first.id, second.id, ace.id]);
  });

  it("follows next links to the last page", async () => {
    const word = tag();
    const created: Schemas["Pet"][] = [];
    for (let n = 0; n < 5; n++) created.push(await create(`${word} ${n}`));
    const query = { search: word, ordering: ["name" as const], page_size: 2 };

    const sizes: number[] = [];
    for await (const page of pages(api, "/v1/pets", query)) sizes.push(page.results.length);
    assert.deepEqual(sizes, [2, 2, 1]);
    const ids: number[] = [];
    for await (const pet of items(pages(api, "/v1/pets", query))) ids.push(pet.id);
    assert.deepEqual(ids, created.map((pet) => pet.id));
  });

  it("ends the iteration when the next page has gone (404)", async () => {
    const word = tag();
    const created = [await create(`${word} 0`), await create(`${word} 1`), await create(`${word} 2`)];
    const iterator = pages(api, "/v1/pets", { search: word, ordering: ["name"], page_size: 2 });
    const first = await iterator.next();
    assert.ok(!first.done && first.value.next);

    for (const pet of created.slice(1)) await api.DELETE("/v1/pets/{id}", { params: { path: { id: pet.id } } });

    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  });

  it("gets, replaces and deletes", async () => {
    const pet = await create("Rex", "dog", "Likes walks");
    const path = { params: { path: { id: pet.id } } };

    assert.equal(ok(await api.GET("/v1/pets/{id}", path)).name, "Rex");
    const replaced = ok(await api.PUT("/v1/pets/{id}", { ...path, body: { name: "Max", species: "cat" } }));
    assert.deepEqual([replaced.name, replaced.species, replaced.notes, replaced.version], ["Max", "cat", "", 2]);

    const deleted = await api.DELETE("/v1/pets/{id}", path);
    assert.equal(deleted.response.status, 204);
    await assert.rejects(api.GET("/v1/pets/{id}", path), NotFound);
  });

  it("patches one field and leaves the others untouched", async () => {
    const pet = await create("Rex", "dog", "Likes walks");
    const path = { params: { path: { id: pet.id } } };

    const patched = ok(await api.PATCH("/v1/pets/{id}", { ...path, body: { name: "Max" } }));

    assert.deepEqual([patched.name, patched.species, patched.notes], ["Max", "dog", "Likes walks"]);
    assert.equal(ok(await api.GET("/v1/pets/{id}", path)).notes, "Likes walks");
  });

  it("uploads a photo as multipart/form-data", async () => {
    const pet = await create("Rex");
    const file = new Blob([png(3, 2)], { type: "image/png" });

    const photo = ok(
      await api.POST("/v1/photos", { body: multipart({ file, pet: pet.id, caption: "Hi" }, "rex.png") }),
    );

    assert.deepEqual([photo.status, photo.width, photo.height, photo.pet, photo.caption], ["ready", 3, 2, pet.id, "Hi"]);
  });

  it("lists photos with every filter", async () => {
    const word = tag();
    const pet = await create("Rex");
    const photos: Schemas["Photo"][] = [];
    for (let n = 0; n < 3; n++) {
      const file = new Blob([png()], { type: "image/png" });
      const fields = { file, pet: n < 2 ? pet.id : undefined, caption: `${word} ${n}` };
      photos.push(ok(await api.POST("/v1/photos", { body: multipart(fields, "p.png") })));
    }

    const page = ok(
      await api.GET("/v1/photos", {
        params: {
          query: { pet: pet.id, status: "ready", search: word, ordering: ["-created_at"], page: 1, page_size: 5 },
        },
      }),
    );

    assert.deepEqual(page.results.map((photo) => photo.id), [photos[1]?.id, photos[0]?.id]);
    const failed = ok(await api.GET("/v1/photos", { params: { query: { search: word, status: "failed" } } }));
    assert.equal(failed.count, 0);
  });

  it("sends a presigned upload", async () => {
    const image = png(4, 5);
    const start = ok(
      await api.POST("/v1/photos/uploads", {
        body: { filename: "big.png", content_type: "image/png", size: image.length },
      }),
    );
    assert.equal(start.photo.status, "pending_upload");

    await sendUpload(start.upload, new Blob([image], { type: "image/png" }), "big.png");

    const photo = ok(await api.GET("/v1/photos/{id}", { params: { path: { id: start.photo.id } } }));
    assert.deepEqual([photo.status, photo.width, photo.height], ["ready", 4, 5]);
  });

  it("reads the key's usage", async () => {
    const usage = ok(await api.GET("/v1/usage"));
    assert.equal(usage.plan.name, "SDK");
    assert.ok(usage.quota.used >= 1);
  });

  it("throws BadRequest naming each bad field", async () => {
    const error = await api.POST("/v1/pets", { body: { name: " ", species: "dog" } }).catch((e: unknown) => e);
    assert.ok(error instanceof BadRequest);
    assert.equal(error.status, 400);
    assert.equal(error.message, "Invalid input.");
    assert.deepEqual(Object.keys(error.errors), ["name"]);
  });

  it("throws Forbidden for an unknown key, sent as it is", async () => {
    const seen: string[] = [];
    const odd = connect(base, {
      apiKey: "odd.looking.key-~_",
      fetch: (request) => {
        seen.push(request.headers.get("x-api-key") ?? "");
        return fetch(request);
      },
    });
    const error = await odd.GET("/v1/usage").catch((e: unknown) => e);
    assert.ok(error instanceof Forbidden);
    assert.equal(error.message, "Forbidden");
    assert.deepEqual(seen, ["odd.looking.key-~_"]);
  });

  it("throws NotFound for someone else's pet or none", async () => {
    await assert.rejects(api.GET("/v1/pets/{id}", { params: { path: { id: 987654321 } } }), NotFound);
  });

  it("throws PayloadTooLarge for a direct upload over the limit", async () => {
    const big = new Uint8Array(70_000 + png().length);
    big.set(png());
    const file = new Blob([big], { type: "image/png" });
    const error = await api.POST("/v1/photos", { body: multipart({ file }, "big.png") }).catch((e: unknown) => e);
    assert.ok(error instanceof PayloadTooLarge);
    assert.equal(error.status, 413);
  });

  it("guards a write with If-Match; a 412 names the current ETag", async () => {
    const pet = await create("Rex", "dog", "Likes walks");
    const path = { id: pet.id };
    const tag = etag((await api.GET("/v1/pets/{id}", { params: { path } })).response);

    const updated = await api.PATCH("/v1/pets/{id}", {
      params: { path, header: { "If-Match": tag } },
      body: { name: "Max" },
    });

    const error = await api
      .PATCH("/v1/pets/{id}", { params: { path, header: { "If-Match": tag } }, body: { name: "Tom" } })
      .catch((e: unknown) => e);
    assert.ok(error instanceof PreconditionFailed);
    assert.equal(error.etag, etag(updated.response));
    assert.notEqual(error.etag, tag);
    assert.equal(ok(await api.GET("/v1/pets/{id}", { params: { path } })).name, "Max");
  });

  it("answers If-None-Match with a 304 and no body", async () => {
    const pet = await create("Rex");
    const path = { id: pet.id };
    const tag = etag((await api.GET("/v1/pets/{id}", { params: { path } })).response);

    const again = await api.GET("/v1/pets/{id}", { params: { path, header: { "If-None-Match": tag } } });

    assert.equal(again.response.status, 304);
    assert.equal(again.data, undefined);
  });

  it("creates once with an Idempotency-Key, however often it is sent", async () => {
    const word = tag();
    const header = { "Idempotency-Key": newIdempotencyKey() };
    const body = { name: `${word} Rex`, species: "dog" as const };

    const first = await api.POST("/v1/pets", { params: { header }, body });
    const again = await api.POST("/v1/pets", { params: { header }, body });

    assert.equal(ok(again).id, ok(first).id);
    assert.equal(again.response.headers.get("idempotent-replayed"), "true");
    assert.equal(ok(await api.GET("/v1/pets", { params: { query: { search: word } } })).count, 1);
    await assert.rejects(
      api.POST("/v1/pets", { params: { header }, body: { name: `${word} Max`, species: "dog" } }),
      UnprocessableEntity,
    );
  });

  it("signs in a bearer token's user", async () => {
    const withToken = connect(tokenUrl, { token });
    const pet = ok(await withToken.POST("/v1/pets", { body: { name: "Rex", species: "dog" } }));
    assert.equal(ok(await withToken.GET("/v1/pets/{id}", { params: { path: { id: pet.id } } })).name, "Rex");
    const usage = ok(await withToken.GET("/v1/usage"));
    assert.equal(usage.key, null);
    assert.equal(usage.token?.subject, "sdk-typescript");
  });

  it("throws Unauthorized for a forged token", async () => {
    const [header, claims, signature] = token.split(".");
    const forged = `${header}.${claims}.${[...(signature ?? "")].reverse().join("")}`;
    const error = await connect(tokenUrl, { token: forged }).GET("/v1/usage").catch((e: unknown) => e);
    assert.ok(error instanceof Unauthorized);
    assert.deepEqual([error.status, error.message], [401, "Unauthorized"]);
  });

  it("throws TooManyRequests with Retry-After for a used-up quota", async () => {
    const sleeps: number[] = [];
    // Retries wait what Retry-After says (at most maxWait); here each wait is recorded
    // instead, so the retries happen at once and are all refused again.
    const limited = connect(base, {
      apiKey: limitedKey,
      retries: 2,
      maxWait: 1e6,
      sleep: async (seconds) => void sleeps.push(seconds),
    });
    ok(await limited.GET("/v1/usage")); // the quota's one request
    const error = await limited.GET("/v1/usage").catch((e: unknown) => e);
    assert.ok(error instanceof TooManyRequests);
    assert.equal(error.message, "Limit Exceeded");
    assert.ok((error.retryAfter ?? 0) >= 1);
    assert.equal(sleeps.length, 2);
    assert.ok(sleeps.every((wait) => wait >= 1));
    // A wait longer than maxWait is not worth retrying: the error comes at once.
    const impatient = connect(base, { apiKey: limitedKey, maxWait: 0.5, sleep: async (s) => void sleeps.push(s) });
    await assert.rejects(impatient.GET("/v1/usage"), TooManyRequests);
    assert.equal(sleeps.length, 2);
  });
});
