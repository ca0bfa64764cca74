"""Reading a user's SPARQL text without parsing it: which prefixes it uses and declares (so the query page can declare
the project's prefixes for it), and the order its variables first appear in (so `SELECT *` columns keep it)."""

from __future__ import annotations

import re

# comments, strings and IRIs: nothing inside them is a prefixed name or a variable
_OPAQUE = re.compile(
    r'#[^\n]*|"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    r'|<[^<>"{}|^`\\\s]*>'
)
_DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE)
_USED = re.compile(r"(?<![\w?$:.-])([A-Za-z][\w-]*(?:\.[\w-]+)*)?:(?=[\w%\\])")
_VARIABLE = re.compile(r"[?$]([A-Za-z0-9_\u00b7-\uffff]+)")
_SELECT_STAR = re.compile(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?\*", re.IGNORECASE)


def _visible(text: str) -> str:
    """The text with comments, strings and IRIs blanked out (same length, so positions still match)."""
    return _OPAQUE.sub(lambda m: " " * len(m.group(0)), text)


def missing_prefixes(text: str, known: dict[str, str]) -> dict[str, str]:
    """The known prefixes the query uses without declaring them, in the order they are first used."""
    visible = _visible(text)
    declared = {m.group(1) or "" for m in _DECLARED.finditer(visible)}
    out: dict[str, str] = {}
    for m in _USED.finditer(visible):
        name = m.group(1) or ""
        if name not in declared and name in known and name not in out:
            out[name] = known[name]
    return out


def declare_prefixes(text: str, known: dict[str, str]) -> tuple[str, list[str]]:
    """(the query with PREFIX lines for the known prefixes it uses undeclared, the prefixes added)."""
    missing = missing_prefixes(text, known)
    if not missing:
        return text, []
    head = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in missing.items())
    return head + text, list(missing)


def star_order(text: str, variables: list[str]) -> list[str]:
    """For `SELECT *`, the variables in the order the query first names them (engines may sort them); otherwise the
    variables as given (the projection's own order)."""
    visible = _visible(text)
    m = _SELECT_STAR.search(visible)
    if not m:
        return variables
    first: dict[str, int] = {}
    for v in _VARIABLE.finditer(visible, m.end()):
        first.setdefault(v.group(1), v.start())
    return sorted(variables, key=lambda v: (first.get(v, 1 << 30), variables.index(v)))
