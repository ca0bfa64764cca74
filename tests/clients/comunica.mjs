// Comunica: a query over the SPARQL endpoint (Comunica 5), or over the Web of linked data by link traversal from a
// seed IRI (Comunica's link-traversal engine). Prints the bindings, the boolean or the quads as JSON.
//
//   node comunica.mjs sparql <server> <base> <query>
//   node comunica.mjs traverse <server> <base> <query> <seed IRI>...

import { args, guardedFetch, print, termJson } from "./lib.mjs";

const { mode, server, base, query } = args(["mode", "server", "base", "query"]);
const seeds = process.argv.slice(6);

let engine;
let sources;
if (mode === "sparql") {
  const { QueryEngine } = await import("@comunica/query-sparql");
  engine = new QueryEngine();
  sources = [{ type: "sparql", value: server + "/sparql" }];
} else if (mode === "traverse") {
  const { QueryEngine } = await import("@comunica/query-sparql-link-traversal");
  engine = new QueryEngine();
  sources = seeds;
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}

const fetched = [];
const guarded = guardedFetch(server, base);
const fetch = async (input, init) => {
  fetched.push(typeof input === "string" ? input : input.url ?? String(input));
  return guarded(input, init);
};
const context = { sources, fetch, lenient: mode === "traverse" };
const result = await engine.query(query, context);
if (result.resultType === "bindings") {
  const stream = await result.execute();
  const rows = (await stream.toArray()).map((b) => Object.fromEntries([...b].map(([v, t]) => [v.value, termJson(t)])));
  const { variables } = await result.metadata();
  print({ kind: "bindings", variables: variables.map((v) => (v.variable ?? v).value), rows, fetched });
} else if (result.resultType === "boolean") {
  print({ kind: "boolean", boolean: await result.execute(), fetched });
} else {
  const stream = await result.execute();
  const quads = (await stream.toArray()).map((q) => [termJson(q.subject), termJson(q.predicate), termJson(q.object)]);
  print({ kind: "quads", quads, fetched });
}
