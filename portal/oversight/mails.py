"""The mails the oversight part sends (``workflow``: a dialogue planned, its minutes to
confirm, the partner's answer, overdue action points; ``supervision``: an investigation
opened, its measure, its closing), as the administrators' mail-text editor documents them.
``create_app`` declares ``KINDS``."""
from datetime import date, datetime

from ..notifications.kinds import S, mail_kind, sample_organisation, sample_user


def _dialogue():
    return S(id=4, organisation=sample_organisation(), meeting_date=date(2027, 10, 5),
             time_label="10:00", place="Stadskantoor Breda, zaal 3", online=False,
             participant_lines=["Dirk Visser (contractmanager)", "Anna de Vries (directeur)"],
             agenda_lines=["Rapportage 2027 Q2", "Bevindingen toezicht"],
             minutes="De partner licht de wachttijd toe.",
             confirmed_at=datetime(2027, 10, 9, 14, 0), partner_remark=None)


def _points():
    return [S(id=7, description="Plan van aanpak wachttijd aanleveren", owner_name="Anna de Vries",
              owner_side=S(value="partner", label="partner"), due_on=date(2027, 11, 1),
              dialogue=_dialogue(), organisation=sample_organisation())]


def _investigation():
    return S(id=3, organisation=sample_organisation(), reason=S(value="klacht", label="klacht"),
             started_on=date(2027, 9, 1), description="Een klacht over de nachtelijke bezetting.",
             measure=S(value="verbeterplan", label="verbeterplan"),
             measure_note="Lever een verbeterplan voor de nachtdienst.",
             plan_deadline=date(2027, 12, 1), ends_on=None, follow_up_on=date(2028, 1, 15),
             suspension=None, admission=None, conclusion="De bezetting is op orde.",
             closed_on=date(2028, 2, 1))


def _findings():
    return [S(about="A9 Meldcode huiselijk geweld", judgement=S(label="verbetering nodig"),
              text="De meldcode is niet bij alle medewerkers bekend.")]


_DIALOGUE = [
    ("dialogue.organisation.name", "naam van de partner"),
    ("dialogue.meeting_date|datum", "datum van de dialoog"),
    ("dialogue.time_label", "tijdstip van de dialoog"),
    ("dialogue.place", "plaats of link van het online overleg"),
    ("dialogue.participant_lines", "de deelnemers (naam en rol), één per regel"),
    ("dialogue.agenda_lines", "de agenda: rapportages en bevindingen op tafel"),
]
_INVESTIGATION = [
    ("investigation.organisation.name", "naam van de partner"),
    ("investigation.reason.label", "aanleiding: signaal, klacht, calamiteit of periodiek"),
    ("investigation.started_on|datum", "startdatum van het onderzoek"),
    ("investigation.description", "de aanleiding zoals de partner die leest"),
]
_POINTS = ("action_points", "de actiepunten (omschrijving, uitvoerder, uiterste datum); "
                            "gebruik {% for p in action_points %}…{% endfor %}")

KINDS = (
    mail_kind("dialogue_planned", "Verantwoordingsdialoog gepland",
              "het contactadres en de beheerders van de partner",
              [*_DIALOGUE, ("portal_url('oversight.my_dialogue', dialogue_id=dialogue.id)",
                            "link naar de dialoog in het portaal")],
              lambda: {"subject": "Verantwoordingsdialoog op 05-10-2027",
                       "dialogue": _dialogue()}),
    mail_kind("dialogue_minutes", "Verslag van een verantwoordingsdialoog ter bevestiging",
              "het contactadres en de beheerders van de partner",
              [*_DIALOGUE, ("dialogue.minutes", "het verslag"), _POINTS,
               ("portal_url('oversight.my_dialogue', dialogue_id=dialogue.id)",
                "link om het verslag te bevestigen")],
              lambda: {"subject": "Verslag van de verantwoordingsdialoog van 05-10-2027 ter "
                                  "bevestiging",
                       "dialogue": _dialogue(), "action_points": _points()}),
    mail_kind("dialogue_answered", "Partner reageerde op het verslag van een dialoog",
              "de contractbeheerder die de dialoog plande",
              [*_DIALOGUE, ("confirmed", "waar als de partner het verslag bevestigde"),
               ("dialogue.partner_remark", "de opmerking van de partner (kan leeg zijn)"),
               ("by.full_name", "wie van de partner reageerde"),
               ("portal_url('oversight.dialogue', dialogue_id=dialogue.id)",
                "link naar de dialoog")],
              lambda: {"subject": "Verslag bevestigd door Stichting Voorbeeld",
                       "dialogue": _dialogue(), "confirmed": True,
                       "by": sample_user("Anna de Vries", "anna@voorbeeld.example")}),
    mail_kind("action_points_overdue_partner", "Actiepunten over de datum (partner)",
              "het contactadres en de beheerders van de partner, eens per dag",
              [_POINTS, ("partner.name", "naam van de partner"),
               ("portal_url('oversight.my_dialogues')", "link naar de dialogen en actiepunten")],
              lambda: {"subject": "1 actiepunt(en) over de datum",
                       "partner": sample_organisation(), "action_points": _points()}),
    mail_kind("action_points_overdue_region", "Actiepunten over de datum (regio)",
              "de contractbeheerder die de dialoog plande, eens per dag",
              [_POINTS, ("portal_url('oversight.dialogues')", "link naar de dialogen")],
              lambda: {"subject": "1 actiepunt(en) van de regio over de datum",
                       "action_points": _points()}),
    mail_kind("investigation_opened", "Toezicht: onderzoek gestart",
              "het contactadres en de beheerders van de partner",
              [*_INVESTIGATION,
               ("portal_url('oversight.my_investigation', investigation_id=investigation.id)",
                "link naar het onderzoek in het portaal")],
              lambda: {"subject": "De regio onderzoekt een klacht",
                       "investigation": _investigation()}),
    mail_kind("investigation_measure", "Toezicht: bevindingen en maatregel",
              "het contactadres en de beheerders van de partner",
              [*_INVESTIGATION,
               ("findings", "de bevindingen (onderwerp, oordeel, tekst); gebruik "
                            "{% for f in findings %}…{% endfor %}"),
               ("investigation.measure.label", "de maatregel"),
               ("investigation.measure_note", "toelichting op de maatregel"),
               ("investigation.plan_deadline|datum", "uiterste datum van het verbeterplan"),
               ("investigation.follow_up_on|datum", "datum van de follow-up (kan leeg zijn)"),
               ("portal_url('oversight.my_investigation', investigation_id=investigation.id)",
                "link naar het onderzoek in het portaal")],
              lambda: {"subject": "Uitkomst van het onderzoek van de regio: verbeterplan",
                       "investigation": _investigation(), "findings": _findings()}),
    mail_kind("investigation_closed", "Toezicht: onderzoek afgesloten",
              "het contactadres en de beheerders van de partner",
              [*_INVESTIGATION, ("investigation.conclusion", "de conclusie"),
               ("investigation.closed_on|datum", "datum van afsluiten"),
               ("portal_url('oversight.my_investigation', investigation_id=investigation.id)",
                "link naar het onderzoek in het portaal")],
              lambda: {"subject": "Het onderzoek van de regio is afgesloten",
                       "investigation": _investigation()}),
)
