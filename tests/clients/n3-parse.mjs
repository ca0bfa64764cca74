// N3.js: fetch each URL and parse it with the parser for its Content-Type (Turtle, TriG, N-Triples, N-Quads, N3);
// prints the number of quads in every graph ("" is the default graph) and the subjects' labels that were asked for.
//
//   node n3-parse.mjs <server> <url>...

import { Parser } from "n3";
import { guardedFetch, print } from "./lib.mjs";

const [server, ...urls] = process.argv.slice(2);
const FORMATS = {
  "text/turtle": "Turtle",
  "application/trig": "TriG",
  "application/n-triples": "N-Triples",
  "application/n-quads": "N-Quads",
  "text/n3": "N3",
};
const RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label";
const fetchLocal = guardedFetch(server);
const documents = [];
for (const url of urls) {
  const response = await fetchLocal(url, { headers: { Accept: Object.keys(FORMATS).join(", ") } });
  const mediaType = (response.headers.get("content-type") || "").split(";")[0].trim();
  const format = FORMATS[mediaType];
  const text = await response.text();
  if (!response.ok || !format) {
    documents.push({ url, status: response.status, mediaType, error: text.slice(0, 300) });
    continue;
  }
  const graphs = {};
  const labels = {};
  let quads = 0;
  try {
    for (const quad of new Parser({ format, baseIRI: response.url }).parse(text)) {
      quads += 1;
      graphs[quad.graph.value] = (graphs[quad.graph.value] || 0) + 1;
      if (quad.predicate.value === RDFS_LABEL && quad.object.language) {
        (labels[quad.subject.value] ??= {})[quad.object.language] = quad.object.value;
      }
    }
  } catch (error) {
    documents.push({ url, status: response.status, mediaType, error: String(error) });
    continue;
  }
  documents.push({ url, status: response.status, mediaType, finalUrl: response.url, quads, graphs, labels });
}
print({ documents });
