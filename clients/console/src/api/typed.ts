/**
 * Requests typed by the served OpenAPI (`schema.ts`, generated from `openapi.json` by the build: `make api-types`).
 * `call(api, "put", "/api/v1/me/alerts", { body })` checks the path, its parameters, the query and the body against
 * the document and gives the answer's type; it goes through `ApiClient.request` (token, refresh, errors as ApiError).
 * A POST without a body sends `{}`, as `ApiClient.post` does.
 */

import type { ApiClient } from "./client";
import type { components, paths } from "./schema";

/** A schema of the document as a request body takes it (fields with a default may be left out). */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];
/** A schema of the document as an answer carries it (`Served`: every field present). */
export type Out<Name extends keyof components["schemas"]> = Served<components["schemas"][Name]>;

type Method = "get" | "put" | "post" | "patch" | "delete";
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Json<Part> = Part extends { content: { "application/json": infer T } } ? T : null;

/**
 * An answer as the server sends it. The served document leaves out the `default` of the fields that have one, so
 * openapi-typescript makes them optional; but the services serialize every declared field (no response excludes
 * unset or None fields), so in an answer every property is present (possibly null).
 */
export type Served<T> = T extends readonly (infer Item)[]
  ? Served<Item>[]
  : T extends object
    ? { [K in keyof T]-?: Served<Exclude<T[K], undefined>> }
    : T;

type Answer<O> = O extends { responses: infer R }
  ? R extends { 200: infer Ok }
    ? Served<Json<Ok>>
    : R extends { 201: infer Made }
      ? Served<Json<Made>>
      : null
  : never;
type JsonIn<Part> = Part extends { content: { "application/json": infer T } } ? T : never;
type Body<O> = O extends { requestBody: infer B } ? JsonIn<B> : O extends { requestBody?: infer B } ? JsonIn<B> : never;
type PathParams<O> = O extends { parameters: { path: infer P } } ? P : never;
type QueryParams<O> = O extends { parameters: { query?: infer Q } } ? Q : never;

type Input<O> = ([PathParams<O>] extends [never] | [undefined] ? { path?: never } : { path: PathParams<O> }) &
  ([QueryParams<O>] extends [never] | [undefined] ? { query?: never } : { query?: QueryParams<O> }) &
  ([Body<O>] extends [never] ? { body?: never } : { body: Body<O> });

/** `auth: false`: no Bearer token, and no refresh on a 401 (login and refresh themselves). */
type Options<O> = Input<O> & { auth?: false };
type Args<O> = {} extends Input<O> ? [input?: Options<O>] : [input: Options<O>];

type Query = Record<string, string | number | boolean | null | undefined | readonly (string | number)[]>;

/** `path` with its `{name}` parameters filled in (encoded) and the query appended (null and undefined left out). */
export function urlOf(template: string, path?: Record<string, string>, query?: Query): string {
  const filled = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = path?.[name];
    if (value === undefined) throw new Error(`${template}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item));
  }
  const text = search.toString();
  return text ? `${filled}?${text}` : filled;
}

/** The URL of a request whose body or answer is not JSON (a file up or down, `ApiClient.raw`): its path, path
 * parameters and query checked against the document like `call`'s. */
export function urlFor<P extends keyof paths & string, M extends Method>(
  _method: M,
  path: P,
  input: Omit<Input<Operation<P, M>>, "body">,
): string {
  const given = input as { path?: Record<string, string>; query?: Query };
  return urlOf(path, given.path, given.query);
}

export function call<P extends keyof paths & string, M extends Method>(
  api: ApiClient,
  method: M,
  path: P,
  ...input: Args<Operation<P, M>>
): Promise<Answer<Operation<P, M>>> {
  const given = (input[0] ?? {}) as { path?: Record<string, string>; query?: Query; body?: unknown; auth?: false };
  const body = given.body ?? (method === "post" ? {} : undefined);
  return api.request(method.toUpperCase(), urlOf(path, given.path, given.query), { body, auth: given.auth });
}
