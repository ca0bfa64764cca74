"""The browsing UI's route table. Each kind of page lives in its own module; this file only wires them up.

    /, /index.json                 home.py        what the dataset is, headline figures, classes, example queries
    /id/<name>, /def               entity.py      the IRIs themselves: 303 to /page/<name> or /data/<name>.<ext>
    /page/<name>                   entity.py      entity page (HTML); /page/def is the ontology documentation
    /data/<name>[.<ext>]           entity.py      the entity's description: .ttl .jsonld .nt .rdf (or by Accept)
    /term/<Local>                  entity.py      page of an ontology term that is not a class
    /class/, /class/<Local>        classes.py     classes and their members (sortable; .json .csv twins)
    /search, /search.json          search.py      label search, HTML and JSON
    /query                         query.py       SPARQL editor, canned queries, results with downloads
    /report, /report.json          report.py      the source report, every passage that produced a fact highlighted
    /ontology                      ontology.py    redirects to /page/def
    /downloads, /download/<file>   downloads.py   dataset dumps, ontology, shapes, VoID, validation report files
    /.well-known/void              downloads.py   the VoID description
    /void, /graph/<name>           downloads.py   the VoID and named-graph IRIs: 303 to their documents
    /source/<file>                 downloads.py   the source text of the report
    /validation                    downloads.py   the validation report of the current build, as a page
"""

from __future__ import annotations

from flask import Blueprint
from werkzeug.exceptions import HTTPException

from kg.web import classes, downloads, entity, home, ontology, pages, query, report, search
from kg.web.site import start_warmup

bp = Blueprint("web", __name__)
bp.record_once(lambda state: start_warmup(state.app))

bp.before_request(pages.before_request)
bp.add_app_template_filter(pages.ucfirst, "ucfirst")
bp.after_request(pages.after_request)
bp.app_errorhandler(HTTPException)(pages.error_page)

ROUTES = [
    ("/", home.home),
    ("/index.json", home.home_json),
    ("/id/<path:name>", entity.dereference),
    ("/def", entity.dereference_ontology),
    ("/page/<path:name>", entity.page),
    ("/data/<path:name>", entity.data),
    ("/term/<path:local>", entity.term_page),
    ("/class/", classes.index),
    ("/class/<path:local>", classes.class_page),
    ("/search", search.search),
    ("/search.json", search.search_json),
    ("/query", query.query_page),  # also POST, for queries too long for a URL
    ("/report", report.report),
    ("/report.json", report.report_json),
    ("/ontology", ontology.ontology_redirect),
    ("/downloads", downloads.index),
    ("/download/<path:filename>", downloads.download),
    ("/.well-known/void", downloads.void),
    ("/void", downloads.void_iri),
    ("/graph/<name>", downloads.graph),
    ("/source/<path:filename>", downloads.source),
    ("/validation", downloads.validation),
]

for rule, view in ROUTES:
    endpoint = f"{view.__module__.rsplit('.', 1)[-1]}_{view.__name__}"
    methods = ["GET", "HEAD", "POST"] if view is query.query_page else ["GET", "HEAD"]
    bp.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=methods)
