"""The mails the assessment part sends (``workflow``: completion asked and back, the
decision, a returned proposal, the deadline reminder), as the administrators' mail-text
editor documents them. ``create_app`` declares ``KINDS``."""
from datetime import date

from ..notifications.kinds import (
    APPLICATION,
    APPLICATION_LINK_ASSESSOR,
    APPLICATION_LINK_PROVIDER,
    S,
    mail_kind,
    sample_application,
    sample_user,
)

KINDS = (
    mail_kind("completion_requested", "Aanvulling gevraagd", "de aanbieder",
              [*APPLICATION,
               ("request.round", "nummer van de ronde van aanvulling"),
               ("request.deadline|datum", "uiterste datum voor de aanvulling"),
               ("items", "de vragen: een lijst van (eis, vraag); gebruik "
                         "{% for req, question in items %}"
                         "{{ req.code }} {{ req.title }}: {{ question }}{% endfor %}"),
               *APPLICATION_LINK_PROVIDER],
              lambda: {"subject": "Aanvulling gevraagd op uw aanmelding WMB-2027-0042",
                       "application": sample_application(),
                       "request": S(round=1, deadline=date(2027, 3, 29), provider_note=None),
                       "items": [(S(code="A5", title="Verklaring omtrent het gedrag"),
                                  "Stuur een VOG die niet ouder is dan drie maanden.")]}),
    mail_kind("completion_back", "Aanmelding terug in behandeling", "de toegewezen beoordelaar",
              [*APPLICATION,
               ("request.round", "nummer van de ronde van aanvulling"),
               ("request.deadline|datum", "uiterste datum die voor de aanvulling gold"),
               ("request.provider_note", "toelichting van de aanbieder (kan leeg zijn)"),
               ("by_deadline", "waar als de termijn verstreek zonder aanvulling; gebruik "
                               "{% if by_deadline %}"),
               *APPLICATION_LINK_ASSESSOR],
              lambda: {"subject": "Aanmelding WMB-2027-0042 is terug in behandeling",
                       "application": sample_application(),
                       "request": S(round=1, deadline=date(2027, 3, 29),
                                    provider_note="De nieuwe VOG is toegevoegd."),
                       "by_deadline": False}),
    mail_kind("decision", "Besluit", "de aanbieder (met de besluitbrief als bijlage)",
              [*APPLICATION,
               ("decisions", "het besluit per categorie; gebruik {% for d in decisions %}"
                             "{{ d.category.name }}: {{ d.outcome.label }} – {{ d.motivation }}"
                             "{% endfor %}"),
               ("corrected", "waar bij een herstelbesluit"),
               *APPLICATION_LINK_PROVIDER],
              lambda: {"subject": "Besluit over uw aanmelding WMB-2027-0042",
                       "application": sample_application(), "corrected": False,
                       "decisions": [
                           S(category=S(name="Pleegzorg"),
                             outcome=S(value="toegelaten", label="toegelaten"),
                             motivation="Voldoet aan alle minimumeisen voor pleegzorg.",
                             failed_requirements=[]),
                           S(category=S(name="Gezinshuiszorg"),
                             outcome=S(value="afgewezen", label="afgewezen"),
                             motivation="Het keurmerk ontbreekt.",
                             failed_requirements=[
                                 S(code="H1", title="Kwaliteitscriteria Gezinshuizen")]),
                       ]}),
    mail_kind("proposal_returned", "Besluitvoorstel teruggestuurd", "de toegewezen beoordelaar",
              [*APPLICATION, ("by.full_name", "naam van de tweede beoordelaar"),
               ("remark", "opmerking bij het terugsturen"),
               *APPLICATION_LINK_ASSESSOR],
              lambda: {"subject": "Besluitvoorstel WMB-2027-0042 teruggestuurd",
                       "application": sample_application(),
                       "by": sample_user("Ben Tweede", "tweede@regio.example"),
                       "remark": "Motiveer de afwijzing van H1 uitgebreider."}),
    mail_kind("deadline_reminder", "Beslistermijn verloopt",
              "de beoordelaar en de contractbeheerders",
              [*APPLICATION, ("days_left", "dagen tot de uiterste datum (negatief: te laat)"),
               *APPLICATION_LINK_ASSESSOR],
              lambda: {"subject": "Beslistermijn aanmelding WMB-2027-0042 verloopt op 26-04-2027",
                       "application": sample_application(), "days_left": 5}),
)
