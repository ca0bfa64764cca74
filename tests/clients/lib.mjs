// What every client script shares: a fetch that reaches only the server under test, and JSON output.
//
// The dataset's IRIs live under its public base (https://w3id.org/jinpu-kg/ by default), which in production
// redirects to the server. Here the server runs on a loopback port, so the fetch handed to the clients maps the base
// onto the server, as that redirect would, and refuses every other address: a test never reaches the Internet,
// and `outside` lists what a client tried to reach elsewhere.

export const outside = [];

export function guardedFetch(server, base) {
  const origin = new URL(server).origin;
  return async function fetchLocal(input, init) {
    let url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (base && url.startsWith(base)) {
      url = origin + "/" + url.slice(base.length);
    }
    if (new URL(url).origin !== origin) {
      outside.push(url);
      throw new TypeError(`refused: ${url} is not the server under test`);
    }
    if (typeof input !== "string" && !(input instanceof URL)) {
      return globalThis.fetch(new Request(url, input), init);
    }
    return globalThis.fetch(url, init);
  };
}

export function args(names) {
  const values = process.argv.slice(2);
  if (values.length < names.length) {
    console.error(`usage: node ${process.argv[1]} ${names.join(" ")}`);
    process.exit(2);
  }
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

export function print(value) {
  process.stdout.write(JSON.stringify({ ...value, outside }) + "\n");
}

export function termJson(term) {
  if (!term) return null;
  const out = { type: term.termType, value: term.value };
  if (term.termType === "Literal") {
    if (term.language) out.lang = term.language;
    else out.datatype = term.datatype.value;
  }
  return out;
}
