"""Mail kinds are declared, not discovered: each part lists the mails it sends in its
``mails`` module, ``create_app`` declares them, and the templates, the ``queue()`` calls
and the sensitive flag all agree with those declarations."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from flask import Flask

from portal.notifications import kinds, queue
from tests.conftest import make_app

PORTAL = Path(__file__).resolve().parent.parent / "portal"
PARTS_WITH_MAIL = ("accounts", "applications", "assessment", "partners", "procedure",
                   "oversight", "monitoring")
SECRET_LINK_KINDS = {"password_reset", "confirm_email", "confirm_email_change", "invitation",
                     "staff_invitation"}


def _declared_by_part() -> dict[str, str]:
    """kind -> the part whose ``mails`` module declares it."""
    out = {}
    for path in sorted(PORTAL.glob("*/mails.py")):
        part = path.parent.name
        for spec in importlib.import_module(f"portal.{part}.mails").KINDS:
            out[spec.kind] = part
    return out


# --- (a) templates and declarations --------------------------------------------------------

def test_every_mail_template_pair_is_a_declared_kind_and_back(app):
    declared = set(kinds.declared(app))
    folder = Path(app.template_folder) / "mail"
    files = {p.name for p in folder.iterdir() if not p.name.startswith("_")}
    stems = {name.rsplit(".", 1)[0] for name in files}
    assert stems, "no mail templates found"
    strays = sorted(name for name in files if not name.endswith((".txt", ".html")))
    assert strays == [], "only <kind>.txt and <kind>.html belong in templates/mail/"
    undeclared = sorted(stems - declared)
    assert undeclared == [], ("templates without a declared kind: add them to the KINDS of "
                              "portal/<part>/mails.py (or start a partial's name with _)")
    missing = sorted(f"{kind}.{ext}" for kind in declared for ext in ("txt", "html")
                     if f"{kind}.{ext}" not in files)
    assert missing == [], "declared kinds without their templates"


def test_the_parts_declare_their_kinds_and_the_app_has_them_all(app):
    by_part = _declared_by_part()
    assert set(p.parent.name for p in PORTAL.glob("*/mails.py")) == set(PARTS_WITH_MAIL)
    assert set(by_part) == set(kinds.declared(app))
    assert by_part["staff_invitation"] == "accounts"
    assert by_part["reconfirmation_started"] == "partners"
    assert by_part["qa_answer"] == "procedure"


# --- (b) every queue() call names a declared kind ------------------------------------------

def _literals(node) -> set[str] | None:
    """The strings an expression can be: a literal, or a conditional of literals."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return None if body is None or orelse is None else body | orelse
    return None


def _is_queue_call(node, queue_names: set[str]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return (func.attr == "queue" and isinstance(func.value, ast.Name)
                and func.value.id == "notifications")
    return isinstance(func, ast.Name) and func.id in queue_names


def _kind_argument(call: ast.Call):
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == "kind"), None)


def _argument(call: ast.Call, function: ast.FunctionDef, name: str):
    """The expression ``call`` passes for ``function``'s parameter ``name``, or None."""
    params = [a.arg for a in function.args.posonlyargs + function.args.args]
    if name in params and params.index(name) < len(call.args):
        return call.args[params.index(name)]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _resolve(tree, parents, call) -> tuple[set[str] | None, str]:
    """The kinds a queue() call can send, and how they were found (None: unresolved)."""
    argument = _kind_argument(call)
    found = _literals(argument) if argument is not None else None
    if found is not None:
        return found, "literal"
    if not isinstance(argument, ast.Name):
        return None, "not a literal or a variable"
    function = parents.get(call)
    while function is not None and not isinstance(function, ast.FunctionDef):
        function = parents.get(function)
    if function is None:
        return None, "a variable outside a function"
    name = argument.id
    assigned = [n.value for n in ast.walk(function) if isinstance(n, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
    params = {a.arg for a in function.args.posonlyargs + function.args.args
              + function.args.kwonlyargs}
    if assigned:
        sources = assigned
    elif name in params:
        callers = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and (
            (isinstance(n.func, ast.Name) and n.func.id == function.name)
            or (isinstance(n.func, ast.Attribute) and n.func.attr == function.name))]
        if not callers:
            return None, f"parameter {name} of {function.name}(), which nobody calls"
        sources = [_argument(c, function, name) for c in callers]
    else:
        return None, f"variable {name} not assigned in {function.name}()"
    kinds_found: set[str] = set()
    for source in sources:
        literal = _literals(source) if source is not None else None
        if literal is None:
            return None, f"{name} in {function.name}() is not always a literal"
        kinds_found |= literal
    return kinds_found, f"via {function.name}({name})"


def queue_sites(root: Path = PORTAL) -> list[tuple[str, int, set[str] | None, str]]:
    """Every queue() call under ``root``: (file, line, kinds it can send, how found)."""
    sites = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        queue_names = {alias.asname or alias.name for node in ast.walk(tree)
                       if isinstance(node, ast.ImportFrom) and "notifications" in (node.module or "")
                       for alias in node.names if alias.name == "queue"}
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if _is_queue_call(node, queue_names):
                found, how = _resolve(tree, parents, node)
                sites.append((str(path.relative_to(root.parent)), node.lineno, found, how))
    return sites


def test_every_queue_call_names_a_declared_kind_of_its_own_part(app):
    declared = set(kinds.declared(app))
    by_part = _declared_by_part()
    sites = queue_sites()
    assert len(sites) >= 25, sites  # the scan finds the calls at all
    assert sum(how.startswith("via ") for *_, how in sites) >= 2  # the helpers resolve too
    unresolved = [(f, line, how) for f, line, found, how in sites if found is None]
    assert unresolved == [], ("queue() with a kind the test cannot read: pass a string "
                              "literal (or a parameter that every caller fills with one)")
    unknown = [(f, line, sorted(found - declared)) for f, line, found, _ in sites
               if found - declared]
    assert unknown == [], "queue() with an undeclared kind"
    elsewhere = [(f, line, kind, by_part[kind]) for f, line, found, _ in sites for kind in found
                 if Path(f).parts[1] != by_part[kind]]
    assert elsewhere == [], "a kind is declared by another part than the one that sends it"
    sent = set().union(*(found for _, _, found, _ in sites))
    assert sorted(declared - sent) == [], "declared kinds that nothing sends"


def test_the_scan_catches_a_nonsense_kind(tmp_path):
    """The guard above fails on a new call with an undeclared or unreadable kind."""
    part = tmp_path / "portal" / "applications"
    part.mkdir(parents=True)
    (part / "workflow.py").write_text(
        "from .. import notifications\n"
        "from ..notifications import queue as q\n\n\n"
        "def a(to):\n"
        "    notifications.queue('nonsense', to, subject='x')\n\n\n"
        "def b(to, kind):\n"
        "    notifications.queue(kind, to, subject='x')\n\n\n"
        "def c(to, name):\n"
        "    b(to, 'receipt')\n"
        "    b(to, kind='decision' if to else 'unknown_too')\n"
        "    q(name, to, subject='x')\n"
        "    q(kind='receipt' + name, to=to, subject='x')\n",
        encoding="utf-8")
    sites = {line: (found, how) for _, line, found, how in queue_sites(tmp_path / "portal")}
    assert sites[6] == ({"nonsense"}, "literal")
    assert sites[10] == ({"receipt", "decision", "unknown_too"}, "via b(kind)")
    assert sites[16][0] is None and "nobody calls" in sites[16][1]
    assert sites[17][0] is None


# --- (c) queueing an undeclared kind -------------------------------------------------------

def test_queueing_an_undeclared_kind_raises(app):
    with app.test_request_context():
        with pytest.raises(kinds.MailKindError, match="nonsense"):
            queue("nonsense", "a@b.example", subject="x")
        with pytest.raises(kinds.MailKindError):
            kinds.get("_layout")


# --- (d) a kind declared twice stops the start ---------------------------------------------

def _kind(name, title="Titel"):
    return kinds.mail_kind(name, title, "de ontvanger", [], lambda: {"subject": "x"})


def test_declaring_a_kind_twice_is_an_error():
    app = Flask(__name__)
    with pytest.raises(kinds.MailKindError, match="'receipt' is declared twice"):
        kinds.declare(app, [_kind("receipt")], [_kind("decision"), _kind("receipt", "Ander")])
    with pytest.raises(kinds.MailKindError):
        kinds.declare(Flask(__name__), [_kind("receipt"), _kind("receipt")])
    fresh = Flask(__name__)
    declared = kinds.declare(fresh, [_kind("receipt")], [_kind("decision")])
    assert sorted(declared) == ["decision", "receipt"] == sorted(kinds.declared(fresh))
    with pytest.raises(kinds.MailKindError):  # declared again later: still one owner
        kinds.declare(fresh, [_kind("decision")])


def test_a_part_declaring_another_parts_kind_stops_create_app(monkeypatch, tmp_path):
    from portal.accounts import mails as accounts_mails
    from portal.partners import mails as partners_mails

    stolen = accounts_mails.KINDS[0]
    monkeypatch.setattr(partners_mails, "KINDS", partners_mails.KINDS + (stolen,))
    with pytest.raises(kinds.MailKindError, match=f"'{stolen.kind}' is declared twice"):
        make_app(f"sqlite:///{tmp_path / 'p.sqlite'}", tmp_path / "up")


# --- (e) sensitive: exactly the mails with a secret link -----------------------------------

def test_the_sensitive_kinds_are_exactly_the_secret_link_mails(app):
    declared = kinds.declared(app)
    assert {k for k, spec in declared.items() if spec.sensitive} == SECRET_LINK_KINDS
    with app.test_request_context():
        for kind, spec in declared.items():
            # The samples build their links with the token "voorbeeld".
            token_link = any(isinstance(v, str) and v.rstrip("/").endswith("/voorbeeld")
                             for v in spec.sample().values())
            assert token_link == spec.sensitive, kind


def test_queue_takes_sensitive_from_the_declaration(app):
    with app.test_request_context():
        invitation = queue("staff_invitation", "a@b.example", subject="x", name="A",
                           email="a@b.example", role="beoordelaar", inviter="B", days=7,
                           link="http://localhost/x")
        changed = queue("email_changed", "a@b.example", subject="y", name="A",
                        new_email="c@d.example")
        forced = queue("email_changed", "a@b.example", subject="y", sensitive=True, name="A",
                       new_email="c@d.example")
        assert (invitation.sensitive, changed.sensitive, forced.sensitive) == (True, False, True)
