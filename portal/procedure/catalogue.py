"""Reference data: the region, the procedure and the default requirement catalogue.

The catalogue is DOMAIN.md's default; the region edits it, and each change is a new
published version.
"""
from datetime import date, datetime

REGION = {
    "code": "wbo-jeugd",
    "name": "Regio West-Brabant Oost Jeugd",
    "municipalities": "Altena, Breda, Drimmelen, Geertruidenberg, Oosterhout",
}

PROCEDURE = {
    "slug": "wonen-met-begeleiding",
    "name": "Open house Wonen met begeleiding",
    "description": (
        "Toelatingsprocedure voor jeugdhulpaanbieders in het taakgebied Wonen met "
        "begeleiding: een thuis-nabije, duurzame woonplek met begeleiding voor jeugdigen "
        "die niet meer thuis kunnen wonen en geen specialistische behandelvraag hebben. "
        "Iedere aanbieder die aan de minimumeisen voldoet, wordt toegelaten; aanmelden kan "
        "gedurende de hele looptijd. De overeenkomst is inspanningsgericht: een vaste prijs "
        "per eenheid inzet (P×Q)."
    ),
    "term_start": date(2027, 1, 1),
    "term_end": date(2031, 12, 31),
    "extension_options": 2,
    "extension_months": 12,
    "decision_period_weeks": 8,
}

# The publication of the open house (2026, before the contracts start on 1 January 2027):
# the default catalogue's first version is published at this instant (naive UTC; 09:00 in
# Amsterdam), or when the reference data is loaded if that is earlier. The procedure
# takes applications from that day on (``procedure.term.publication_date``).
PUBLISHED_AT = datetime(2026, 9, 1, 7, 0)

CATEGORIES = [
    ("pleegzorg", "Pleegzorg", "Opvoeding en verzorging van een jeugdige in een pleeggezin."),
    ("gezinshuiszorg", "Gezinshuiszorg",
     "Wonen in een gezinshuis met een gezinshuisouder die er 24/7 woont."),
    (
        "zelfstandigheidstraining",
        "Zelfstandigheidstraining / kamertraining",
        "Jeugdigen van 16 tot 23 jaar leren zelfstandig wonen, met begeleiding.",
    ),
    ("kleinschalige-woonvormen", "Kleinschalige woonvormen", "Kleine woonvorm met een vast team, 24/7."),
    ("leefgroepen", "Leefgroepen", "Wonen in een leefgroep met 24/7 begeleiding."),
]

# Product code, name, category code. The three codes move over from the current
# "Pleeg- en gezinshuiszorg" agreement (seed 004, §12). The category of each is our
# assumption (44A06 and 44A07 foster care, 44A08 family homes): the region confirms the
# mapping, and administrators can change it in the portal.
PRODUCTS = [
    ("44A06", "Product 44A06 (uit de overeenkomst Pleeg- en gezinshuiszorg)", "pleegzorg"),
    ("44A07", "Product 44A07 (uit de overeenkomst Pleeg- en gezinshuiszorg)", "pleegzorg"),
    ("44A08", "Product 44A08 (uit de overeenkomst Pleeg- en gezinshuiszorg)", "gezinshuiszorg"),
    # The seeds name no product code for the other three categories. These are the region's
    # own choice, not taken from any agreement: codes in iJw product category 44 (jeugdhulp
    # verblijf exclusief behandeling), where the letter A marks a code the region defines
    # itself, numbered on from 44A08. The region confirms or changes them (Beheer →
    # Producten); each category needs at least one product, since an application is only
    # submitted while its categories have published tariffs.
    ("44A09", "Zelfstandigheidstraining / kamertraining (regionale productcode)",
     "zelfstandigheidstraining"),
    ("44A10", "Kleinschalige woonvorm (regionale productcode)", "kleinschalige-woonvormen"),
    ("44A11", "Leefgroep (regionale productcode)", "leefgroepen"),
]

_PDF = "Bewijsstuk (PDF)"

# Each entry: code, title, help, categories (empty = general), answer parts.
REQUIREMENTS = [
    dict(code="A1", title="Geen uitsluitingsgronden van toepassing",
         help="Eigen verklaring in de vorm van het Uniform Europees Aanbestedingsdocument (UEA): "
              "er zijn geen uitsluitingsgronden op uw organisatie van toepassing.",
         declaration="Ik verklaar dat op onze organisatie geen uitsluitingsgronden van toepassing zijn.",
         evidence="required", evidence_label="Ondertekende eigen verklaring (PDF)"),
    dict(code="A2", title="Ingeschreven bij de Kamer van Koophandel",
         help="Vul het KvK-nummer van uw organisatie in (8 cijfers) en voeg een recent uittreksel toe.",
         identifier="kvk", evidence="required", evidence_label="Uittreksel KvK (PDF)"),
    dict(code="A3", title="AGB-code van de organisatie",
         help="De AGB-code (8 cijfers) is nodig voor het iJw-berichtenverkeer (JW315, JW301, JW323).",
         identifier="agb"),
    dict(code="A4", title="Wtza: meldplicht of toelatingsvergunning",
         help="U heeft de Wtza-melding gedaan, of heeft een toelatingsvergunning waar die verplicht is. "
              "Voeg de vergunning toe als die voor u geldt.",
         declaration="Ik verklaar dat wij voldoen aan de Wtza (melding gedaan of vergunning waar verplicht).",
         evidence="optional", evidence_label="Toelatingsvergunning Wtza (PDF, indien van toepassing)"),
    dict(code="A5", title="Kwaliteitssysteem: HKZ, ISO 9001 of gelijkwaardig",
         help="Voeg een geldig certificaat toe en vul in tot wanneer het geldig is.",
         evidence="required", evidence_label="Certificaat kwaliteitssysteem (PDF)", expires=True),
    dict(code="A6", title="VOG voor medewerkers en bestuurders",
         help="Iedere medewerker die in contact komt met jeugdigen, en iedere bestuurder, heeft een "
              "Verklaring Omtrent het Gedrag (VOG). Voeg uw VOG-beleid of een overzicht toe.",
         declaration="Ik verklaar dat alle medewerkers met jeugdcontact en alle bestuurders een VOG hebben.",
         evidence="required", evidence_label="VOG-beleid of overzicht (PDF)"),
    dict(code="A7", title="Norm van verantwoorde werktoedeling",
         help="Het werk wordt gedaan door SKJ- of BIG-geregistreerde professionals. Vul in hoeveel "
              "geregistreerde professionals bij u werken.",
         declaration="Ik verklaar dat wij werken volgens de norm van verantwoorde werktoedeling.",
         number="Aantal SKJ- of BIG-geregistreerde professionals", number_min=0),
    dict(code="A8", title="Beroeps- en bedrijfsaansprakelijkheidsverzekering",
         help="Een verzekering van minstens € 2.500.000 per aanspraak. Voeg de polis toe met de "
              "datum tot wanneer hij geldig is.",
         evidence="required", evidence_label="Polisblad (PDF)", expires=True,
         amount="Verzekerd bedrag per aanspraak (in euro)", amount_min=2_500_000),
    dict(code="A9", title="Meldcode huiselijk geweld en kindermishandeling",
         help="Uw organisatie gebruikt de meldcode. Voeg uw meldcode toe.",
         declaration="Ik verklaar dat wij de meldcode huiselijk geweld en kindermishandeling gebruiken.",
         evidence="required", evidence_label="Meldcode (PDF)"),
    dict(code="A10", title="Klachtenregeling en vertrouwenspersoon",
         help="Een klachtenregeling en toegang tot een vertrouwenspersoon volgens hoofdstuk 4 van de "
              "Jeugdwet.",
         declaration="Ik verklaar dat wij een klachtenregeling en een vertrouwenspersoon hebben "
                     "(Jeugdwet hoofdstuk 4).",
         evidence="required", evidence_label="Klachtenregeling (PDF)"),
    dict(code="A11", title="Medezeggenschap van cliënten",
         help="Cliënten hebben medezeggenschap, bijvoorbeeld via een cliëntenraad.",
         declaration="Ik verklaar dat de medezeggenschap van cliënten geregeld is."),
    dict(code="A12", title="Aangesloten op het iJw-berichtenverkeer (VECOZO)",
         help="Declareren en berichten gaan via het iJw-berichtenverkeer.",
         declaration="Ik verklaar dat wij aangesloten zijn op het iJw-berichtenverkeer via VECOZO."),
    dict(code="A13", title="Akkoord met de vaste tarieven per product (P×Q)",
         help="De regio betaalt een vaste prijs per eenheid inzet. U gaat akkoord met de "
              "[gepubliceerde tarieven per jaar en categorie](/tarieven).",
         declaration="Ik ga akkoord met de gepubliceerde vaste tarieven per product."),
    dict(code="A14", title="Uitgangspunten, jeugdparticipatie en ervaringsdeskundigheid",
         help="U onderschrijft de uitgangspunten van de regio (zo thuis mogelijk, innovatiekracht, "
              "jeugdparticipatie, ervaringsdeskundigheid, onderwijs en jeugdhulp in verbinding, "
              "samenwerking). Beschrijf hoe u jeugdparticipatie en ervaringsdeskundigheid inzet.",
         declaration="Ik onderschrijf de uitgangspunten en ontwikkelthema's van de regio.",
         text="Hoe zet u jeugdparticipatie en ervaringsdeskundigheid in?"),
    dict(code="P1", title="Voorbereiding en screening van pleegouders", categories=["pleegzorg"],
         help="Pleegouders zijn voorbereid en gescreend volgens het kwaliteitskader; minstens één "
              "pleegouder is 21 jaar of ouder; er is een verklaring van geen bezwaar voor pleegouders "
              "en huisgenoten van 12 jaar en ouder. Voeg uw werkwijze toe.",
         declaration="Ik verklaar dat onze pleegouders zijn voorbereid en gescreend zoals hierboven "
                     "beschreven.",
         evidence="required", evidence_label="Beschrijving werkwijze (PDF)"),
    dict(code="P2", title="Ondersteuning pleeggezinnen, 24/7 bereikbaar", categories=["pleegzorg"],
         help="Pleeggezinnen worden ondersteund door SKJ-geregistreerde professionals die dag en nacht "
              "bereikbaar zijn.",
         declaration="Ik verklaar dat pleeggezinnen 24/7 ondersteuning krijgen van SKJ-geregistreerde "
                     "professionals."),
    dict(code="H1", title="Kwaliteitscriteria Gezinshuizen of Keurmerk Gezinshuizen",
         categories=["gezinshuiszorg"],
         help="Voeg het bewijs toe dat u voldoet aan de Kwaliteitscriteria Gezinshuizen of het Keurmerk "
              "heeft.",
         evidence="required", evidence_label="Keurmerk of toetsingsrapport (PDF)", expires=True),
    dict(code="H2", title="Maximaal aantal geplaatste kinderen per gezinshuis", categories=["gezinshuiszorg"],
         help="Maximaal 4 geplaatste kinderen per gezinshuis; 6 na overleg met de verwijzers.",
         number="Maximaal aantal geplaatste kinderen per gezinshuis", number_min=1, number_max=6),
    dict(code="H3", title="Gezinshuisouder fulltime aanwezig", categories=["gezinshuiszorg"],
         help="Een opgeleide gezinshuisouder werkt fulltime in het gezinshuis, 24/7.",
         declaration="Ik verklaar dat in elk gezinshuis een opgeleide gezinshuisouder fulltime, 24/7 "
                     "werkt."),
    dict(code="Z1", title="Doelgroep 16–23 jaar en begeleidingsuren", categories=["zelfstandigheidstraining"],
         help="De training is voor jeugdigen van 16 tot 23 jaar. Vul in hoeveel uur begeleiding een "
              "jeugdige per week krijgt.",
         declaration="Ik verklaar dat de training bedoeld is voor jeugdigen van 16 tot 23 jaar.",
         number="Uren begeleiding per jeugdige per week", number_min=1, number_max=168),
    dict(code="Z2", title="Brandveiligheid en veiligheid van de huisvesting",
         categories=["zelfstandigheidstraining"],
         help="De huisvesting voldoet aan de regels voor brandveiligheid en veiligheid.",
         evidence="required", evidence_label="Brandveiligheidsrapport of gebruiksmelding (PDF)"),
    dict(code="K1", title="Maximaal 6 jeugdigen per locatie", categories=["kleinschalige-woonvormen"],
         help="Op een locatie wonen ten hoogste 6 jeugdigen.",
         number="Maximaal aantal jeugdigen per locatie", number_min=1, number_max=6),
    dict(code="K2", title="24/7 vast team, minstens 1 medewerker per 4 jeugdigen",
         categories=["kleinschalige-woonvormen"],
         help="Een vast team is dag en nacht aanwezig, met minstens 1 medewerker per 4 jeugdigen.",
         declaration="Ik verklaar dat een vast team 24/7 aanwezig is.",
         number="Aantal medewerkers per 4 jeugdigen", number_min=1),
    dict(code="L1", title="Groepsgrootte, 24/7 begeleiding en pedagogische methode",
         categories=["leefgroepen"],
         help="Vul de groepsgrootte in en voeg de beschrijving van uw pedagogische methode toe; de "
              "begeleiding is 24/7.",
         number="Groepsgrootte (aantal jeugdigen)", number_min=1,
         evidence="required", evidence_label="Pedagogische methode (PDF)"),
]
