"""The mails the procedure part sends (``qa``: the questions and answers, nota van
inlichtingen; ``term``: applying open again after a temporary closure), as the
administrators' mail-text editor documents them. ``create_app`` declares ``KINDS``."""
from datetime import datetime

from ..notifications.kinds import NAME, S, mail_kind, sample_procedure


def _question():
    return S(id=7, subject="Geldigheid van de VOG",
             body="Hoe oud mag een verklaring omtrent het gedrag zijn?",
             asked_at=datetime(2027, 2, 15, 11, 5),
             answer="Niet ouder dan drie maanden op de dag van indienen.")


KINDS = (
    mail_kind("qa_receipt", "Ontvangstbevestiging vraag", "wie de vraag stelde",
              [*NAME, ("procedure.name", "naam van de procedure"),
               ("question.subject", "onderwerp van de vraag"),
               ("question.body", "de vraag"),
               ("question.asked_at|datumtijd", "wanneer de vraag is gesteld"),
               ("portal_url('qa.mine_detail', question_id=question.id)",
                "link naar de vraag in het portaal")],
              lambda: {"subject": "Ontvangstbevestiging van uw vraag: Geldigheid van de VOG",
                       "name": "Anna Aanbieder", "procedure": sample_procedure(),
                       "question": _question()}),
    mail_kind("qa_answer", "Antwoord op een vraag", "wie de vraag stelde",
              [*NAME, ("procedure.name", "naam van de procedure"),
               ("question.subject", "onderwerp van de vraag"),
               ("question.body", "de vraag"),
               ("question.asked_at|datumtijd", "wanneer de vraag is gesteld"),
               ("question.answer", "het antwoord"),
               ("changed", "waar als een eerder antwoord is gewijzigd"),
               ("portal_url('qa.mine_detail', question_id=question.id)",
                "link naar de vraag in het portaal")],
              lambda: {"subject": "Antwoord op uw vraag: Geldigheid van de VOG",
                       "name": "Anna Aanbieder", "procedure": sample_procedure(),
                       "question": _question(), "changed": False}),
    mail_kind("qa_published", "Nieuwe vragen en antwoorden gepubliceerd",
              "gebruikers die daarom vroegen",
              [*NAME, ("items", "de nieuwe vragen; gebruik {% for item in items %}"
                                "{{ item.id }} {{ item.title }}{% endfor %}"),
               ("portal_url('qa.public')", "link naar alle vragen en antwoorden"),
               ("portal_url('qa.notification_settings')",
                "link om deze e-mail uit te zetten")],
              lambda: {"subject": "Nieuwe vraag en antwoord gepubliceerd – Wonen met begeleiding",
                       "name": "Anna Aanbieder",
                       "items": [S(id=7, title="Geldigheid van de VOG")]}),
    mail_kind("applications_reopened", "Aanmelden is weer open",
              "gebruikers die om berichten over de procedure vroegen, en beheerders van "
              "organisaties met een concept-aanmelding",
              [*NAME, ("procedure.name", "naam van de procedure"),
               ("procedure.current_end|datum", "einde van de looptijd"),
               ("portal_url('procedure.home')", "link naar de pagina van de procedure"),
               ("portal_url('applications.dashboard')", "link naar de eigen aanmeldingen")],
              lambda: {"subject": "Aanmelden is weer open – Open house Wonen met begeleiding",
                       "name": "Anna Aanbieder", "procedure": sample_procedure()}),
)
