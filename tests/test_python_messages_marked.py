"""The messages Python gives users (flash messages, the helpers' success texts, the
domain's refusals) are marked for Flask-Babel like the templates' text, so that English
can follow: no such call in portal/ takes a bare Dutch literal or f-string, pybabel finds
them, and a catalogue for another locale is used for them."""
import ast
from pathlib import Path

from babel.messages.extract import extract_from_dir

from tests.conftest import make_app, post
from tests.test_i18n import _english

PORTAL = Path(__file__).resolve().parent.parent / "portal"
# Calls whose first argument is a message for users.
MESSAGE_CALLS = {"flash", "DomainError", "NotPermitted", "TransitionNotAllowed", "StaleForm",
                 "Conflict"}
# Keywords of portal.actions' helpers that carry a message for users.
MESSAGE_KEYWORDS = {"success"}
# Not for users of a page: demo data, and the module that makes the gettext callables.
SKIPPED = {"demo.py", "demo_data.py", "demo_region.py", "i18n.py"}


def _bare(node) -> bool:
    """A literal or an f-string, or a lambda that returns one."""
    if isinstance(node, ast.Lambda):
        node = node.body
    if isinstance(node, ast.IfExp):
        return _bare(node.body) or _bare(node.orelse)
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value.strip() != "") or isinstance(node, ast.JoinedStr)


def _name(func) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def unmarked_messages() -> list[str]:
    found = []
    for path in sorted(PORTAL.rglob("*.py")):
        if path.name in SKIPPED:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(PORTAL.parent)}:{node.lineno}"
            if _name(node.func) in MESSAGE_CALLS and node.args and _bare(node.args[0]):
                found.append(f"{where} {_name(node.func)}")
            found += [f"{where} {kw.arg}=" for kw in node.keywords
                      if kw.arg in MESSAGE_KEYWORDS and _bare(kw.value)]
    return found


def test_no_message_for_users_is_a_bare_literal():
    assert unmarked_messages() == []


def test_the_check_finds_a_bare_message(tmp_path):
    """The check above can fail: a bare flash and success text are found, marked ones not."""
    source = ("def view():\n    flash('Opgeslagen.')\n    flash(_('Opgeslagen.'))\n"
              "    submit(form, op, success=lambda r: f'{r} klaar', done='/')\n"
              "    raise DomainError(_('Niet toegestaan.'))\n")
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]
    bare = [_name(c.func) for c in calls if _name(c.func) in MESSAGE_CALLS and _bare(c.args[0])]
    keywords = [kw.arg for c in calls for kw in c.keywords
                if kw.arg in MESSAGE_KEYWORDS and _bare(kw.value)]
    assert bare == ["flash"] and keywords == ["success"]


def test_pybabel_finds_the_python_messages():
    ids = {message[2] if isinstance(message[2], str) else message[2][0]
           for message in extract_from_dir(str(PORTAL), [("**.py", "python")])}
    assert "Het herstelbesluit is voorgesteld. Een tweede beoordelaar moet het goedkeuren." in ids
    assert "Het e-mailadres of het wachtwoord klopt niet." in ids
    assert len(ids) > 300  # the flash, success and refusal messages of every part


def test_a_python_message_follows_the_locale(database_url, tmp_path):
    """With an English catalogue, a message built in Python is shown in English."""
    _english(tmp_path / "translations")
    app = make_app(database_url, tmp_path / "uploads", BABEL_DEFAULT_LOCALE="en",
                   BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations"))
    response = post(app.test_client(), "/inloggen",
                    {"email": "niemand@example.org", "password": "fout-wachtwoord-1"})
    assert "Wrong e-mail address or password." in response.get_data(as_text=True)
