# Data Cube normalization, phase 1 (RDF Data Cube Vocabulary, section 10): the types and qb:componentProperty links
# that an abbreviated cube leaves implicit.
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qb:   <http://purl.org/linked-data/cube#>

INSERT { ?obs a qb:Observation } WHERE { [] qb:observation ?obs } ;
INSERT { ?obs a qb:Observation . ?dataset a qb:DataSet } WHERE { ?obs qb:dataSet ?dataset } ;
INSERT { ?slice a qb:Slice } WHERE { [] qb:slice ?slice } ;
INSERT { ?spec qb:componentProperty ?p . ?p a qb:DimensionProperty } WHERE { ?spec qb:dimension ?p } ;
INSERT { ?spec qb:componentProperty ?p . ?p a qb:MeasureProperty } WHERE { ?spec qb:measure ?p } ;
INSERT { ?spec qb:componentProperty ?p . ?p a qb:AttributeProperty } WHERE { ?spec qb:attribute ?p }
