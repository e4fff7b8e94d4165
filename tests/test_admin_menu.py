"""Every link of the administrators' menu has the same words as the heading of the page it
opens (issue 14: Logboek / Auditlog, Managementoverzicht / Rapportage, ...)."""
import html as htmllib
import re

from tests.conftest import ADMIN, login

LINK = re.compile(r'<li><a href="([^"]+)">([^<]+)</a></li>')
HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def _text(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def test_menu_links_and_page_headings_agree(app):
    client = app.test_client()
    login(client, ADMIN)
    menu = client.get("/beheer/").get_data(as_text=True)
    main = menu.split("<main", 1)[1]
    links = LINK.findall(main)
    assert len(links) >= 15, links
    differ = []
    for href, label in links:
        page = client.get(htmllib.unescape(href))
        assert page.status_code == 200, href
        heading = _text(HEADING.search(page.get_data(as_text=True)).group(1))
        if heading != _text(label):
            differ.append(f"{href}: menu '{_text(label)}', heading '{heading}'")
    assert differ == []


def test_the_mail_text_list_shows_titles_not_codes(app):
    from portal.notifications.kinds import declared

    client = app.test_client()
    login(client, ADMIN)
    html = client.get("/beheer/mailteksten").get_data(as_text=True)
    main = html.split("<main", 1)[1]
    with app.app_context():
        kinds = declared()
    assert len(kinds) > 20
    for kind, spec in kinds.items():
        assert spec.title in htmllib.unescape(main), kind
        shown = re.sub(r'href="[^"]*"', "", main)  # the codes may stand in links, not in text
        assert f">{kind}<" not in shown and f"{kind}</" not in shown, kind
