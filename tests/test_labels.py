"""One place gives every stored state its Dutch label (portal/audit/labels.py): the
application, admission, verdict, decision, evidence-review and mail states; the enums, the
audit log, the application's history and the mail page all take it from there."""
import enum

from portal.applications.models import Status
from portal.assessment.models import Outcome, VerdictOutcome
from portal.audit.labels import STATE_LABELS, state_label
from portal.notifications.models import MailStatus
from portal.oversight.models import ActionStatus, InvestigationStatus
from portal.partners.models import AdmissionStatus, ReviewStatus

STATE_ENUMS = (Status, Outcome, VerdictOutcome, AdmissionStatus, ReviewStatus, MailStatus,
               ActionStatus, InvestigationStatus)


def test_every_state_of_every_enum_has_a_label():
    missing = [f"{e.__name__}.{m.name}" for e in STATE_ENUMS for m in e
               if m.value not in STATE_LABELS]
    assert missing == []


def test_enums_take_their_label_from_the_one_map():
    for e in STATE_ENUMS:
        for member in e:
            label = STATE_LABELS[member.value]
            assert state_label(member) == state_label(member.value) == label
            if "label" in vars(e):
                assert member.label == label
    assert "_" not in "".join(STATE_LABELS.values())
    assert state_label("nieuwe_toestand") == "nieuwe toestand"  # an unknown code reads as words


def test_mail_page_shows_every_status_in_dutch(app):
    from portal.extensions import db
    from portal.notifications.models import OutboxMail
    from tests.conftest import ADMIN, login

    with app.app_context():
        for status in MailStatus:
            db.session.add(OutboxMail(kind="password_reset", to_address=f"{status.value}@x.example",
                                      subject=f"Proef {status.value}", body_text="-",
                                      body_html="-", status=status))
        db.session.commit()
    client = app.test_client()
    login(client, ADMIN)
    for status in MailStatus:
        html = client.get(f"/beheer/mails/?status={status.value}").get_data(as_text=True)
        row = html.split(f"Proef {status.value}</a>", 1)[1].split("</tr>", 1)[0]
        assert state_label(status) in row, (status, row)
        assert f"<td>{status.value}" not in row


def test_no_state_enum_is_left_out():
    """A new state enum in a part must be added to STATE_ENUMS above (and its values to
    STATE_LABELS): the test lists every str-enum of the models with a status-like name."""
    import portal.models  # noqa: F401  (every part's models)

    found = set()
    for cls in _subclasses(enum.Enum):
        if cls.__module__.startswith("portal.") and cls.__module__.endswith(".models") \
                and ("Status" in cls.__name__ or "Outcome" in cls.__name__):
            found.add(cls)
    assert found <= set(STATE_ENUMS), found - set(STATE_ENUMS)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)
