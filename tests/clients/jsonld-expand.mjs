// jsonld.js: dereference an IRI as JSON-LD (following the 303), then expand the document and turn it into
// N-Quads with a document loader that refuses every remote context: the document must stand on its own.
//
//   node jsonld-expand.mjs <server> <url> [<accept>]

import jsonld from "jsonld";
import { args, guardedFetch, print } from "./lib.mjs";

const { server, url } = args(["server", "url"]);
const accept = process.argv[4] || "application/ld+json";
const loads = [];
const refuse = async (iri) => {
  loads.push(iri);
  throw new Error(`no remote documents: ${iri}`);
};
const response = await guardedFetch(server)(url, { headers: { Accept: accept } });
const contentType = response.headers.get("content-type");
if (!response.ok || !/json/.test(contentType || "")) {
  print({ status: response.status, finalUrl: response.url, contentType, error: (await response.text()).slice(0, 300) });
  process.exit(0);
}
const doc = await response.json();
const expanded = await jsonld.expand(doc, { documentLoader: refuse, base: response.url });
const nquads = await jsonld.toRDF(doc, { format: "application/n-quads", documentLoader: refuse, base: response.url });
const labels = {};
for (const node of expanded) {
  const values = node["http://www.w3.org/2000/01/rdf-schema#label"];
  if (node["@id"] && values) labels[node["@id"]] = values.map((v) => [v["@value"], v["@language"] ?? null]);
}
print({
  status: response.status,
  finalUrl: response.url,
  contentType,
  nodes: expanded.length,
  quads: nquads.split("\n").filter((l) => l.trim()).length,
  graphs: [...new Set(expanded.filter((n) => n["@graph"]).map((n) => n["@id"]))],
  labels,
  loads,
});
