"""The RDF foundation every layer shares: vocabulary and prefixes, graph names, formats and negotiation, term
conversion, and writing values into SPARQL text. No Flask, no store, no build code."""
