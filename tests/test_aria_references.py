"""Every aria-describedby and aria-labelledby on every page of the scenario points at an
element that exists on that page (issue 14: "aria-describedby=None" on two checkboxes)."""
import re

from tests.helpers import scenario_pages

REFERENCE = re.compile(r'aria-(?:describedby|labelledby)="([^"]*)"')
ID = re.compile(r'\sid="([^"]+)"')


def test_every_aria_reference_names_an_element_on_the_page(app):
    broken, checked = [], 0
    for client, _who, url in scenario_pages(app):
        response = client.get(url)
        if not response.content_type.startswith("text/html"):
            continue
        html = response.get_data(as_text=True)
        present = set(ID.findall(html))
        for value in REFERENCE.findall(html):
            checked += 1
            missing = [name for name in value.split() if name not in present]
            if missing or not value.strip():
                broken.append(f"{url}: {value!r} (missing: {missing})")
    assert checked > 20, "the pages carry no references: the test looks at nothing"
    assert broken == []
