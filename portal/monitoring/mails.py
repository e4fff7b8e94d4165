"""The mails the monitoring part sends (``workflow``: a reporting round opened, and the
reminders before and after its deadline), as the administrators' mail-text editor
documents them. ``create_app`` declares ``KINDS``."""
from datetime import date

from ..notifications.kinds import S, mail_kind


def _round():
    return S(id=4, label="2027 K1", period_start=date(2027, 1, 1), period_end=date(2027, 3, 31),
             deadline=date(2027, 4, 30), note="Rapporteer ook als er niets te melden is.")


_OFFERED = [
    ("organisation_name", "naam van de organisatie"),
    ("reporting_round.label", "naam van de ronde, bijvoorbeeld 2027 K1"),
    ("reporting_round.period_start|datum", "eerste dag van de periode"),
    ("reporting_round.period_end|datum", "laatste dag van de periode"),
    ("reporting_round.deadline|datum", "uiterste datum om te rapporteren"),
    ("category_names", "de categorieën; gebruik {% for name in category_names %}{{ name }}"
                       "{% endfor %}"),
    ("portal_url('monitoring.mine')", "link naar de verantwoording in het portaal"),
]

KINDS = (
    mail_kind("monitoring_round_opened", "Verantwoordingsronde geopend",
              "de beheerders van de partner",
              [*_OFFERED, ("reporting_round.note", "toelichting van de regio bij de ronde")],
              lambda: {"subject": "Verantwoording 2027 K1: rapporteer uw cijfers vóór 30-04-2027",
                       "organisation_name": "Stichting Voorbeeld Jeugdzorg",
                       "reporting_round": _round(),
                       "category_names": ["Pleegzorg", "Gezinshuiszorg"]}),
    mail_kind("monitoring_reminder", "Herinnering verantwoording",
              "de beheerders van de partner die nog niet alles rapporteerde",
              [*_OFFERED, ("late", "waar als de uiterste datum voorbij is")],
              lambda: {"subject": "Herinnering: verantwoording 2027 K1 uiterlijk 30-04-2027",
                       "organisation_name": "Stichting Voorbeeld Jeugdzorg",
                       "reporting_round": _round(), "category_names": ["Pleegzorg"],
                       "late": False}),
)
