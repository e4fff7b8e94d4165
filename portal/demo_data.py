"""The fixed lists behind the demo region (`portal/demo_region.py`): fictional providers in
the five municipalities of Regio West-Brabant Oost Jeugd, and the questions they ask.

Every name, address, KvK number and AGB code here is made up (KvK numbers 9000xxxx, AGB
codes 7399xxxx, addresses under *.demo.nl): none belongs to a real organisation.
"""
from __future__ import annotations

# Municipality -> the towns (Organisation.city) the demo uses in it.
MUNICIPALITIES = {
    "Altena": ("Almkerk", "Werkendam", "Woudrichem"),
    "Breda": ("Breda", "Prinsenbeek", "Teteringen"),
    "Drimmelen": ("Made", "Terheijden", "Lage Zwaluwe"),
    "Geertruidenberg": ("Geertruidenberg", "Raamsdonksveer"),
    "Oosterhout": ("Oosterhout", "Den Hout"),
}


def municipality_of(city: str) -> str | None:
    for municipality, towns in MUNICIPALITIES.items():
        if city in towns:
            return municipality
    return None


# name, slug (for the addresses), street, postal code, town, contact person.
# The order matters: the demo region gives each provider its story by position.
PROVIDERS = [
    ("Pleeggezinnen Mark en Maas", "markenmaas", "Baronielaan 12", "4818 PC", "Breda", "Femke van Dijk"),
    ("Gezinshuis De Boomgaard", "boomgaard", "Dorpsstraat 41", "4286 AB", "Almkerk", "Henk Verhoeven"),
    ("Stichting Kamers met Kansen", "kamersmetkansen",
     "Ginnekenweg 88", "4835 NB", "Breda", "Sanne Kuijpers"),
    ("Woonvorm Het Anker", "hetanker", "Havenstraat 7", "4941 XA", "Raamsdonksveer", "Joris Smits"),
    ("Leefgroep De Vlonder", "devlonder", "Kerkstraat 19", "4921 BA", "Made", "Ingrid Peeters"),
    ("Jeugdhuis Oosterheide", "oosterheide", "Heideweg 3", "4906 AA", "Oosterhout", "Mohamed El Amrani"),
    ("Pleegzorg Biesbosch", "biesbosch", "Sasdijk 22", "4251 AD", "Werkendam", "Lotte de Graaf"),
    ("Gezinshuis Het Nest", "hetnest", "Molenstraat 5", "4844 CJ", "Terheijden", "Peter van den Berg"),
    ("Zelfstandig Verder Breda", "zelfstandigverder", "Haagweg 140", "4814 GG", "Breda", "Esra Yilmaz"),
    ("Kleinschalig Wonen De Linie", "delinie",
     "Vestingstraat 2", "4931 AL", "Geertruidenberg", "Ruud Hermans"),
    ("Stichting Thuis in Made", "thuisinmade", "Nieuwstraat 30", "4921 AM", "Made", "Anouk Mertens"),
    ("Gezinshuis De Vesting", "devesting", "Hoogstraat 11", "4285 AE", "Woudrichem", "Karin Bosman"),
    ("Jeugdzorg Teteringen", "teteringen", "Hoevenseweg 9", "4847 AA", "Teteringen", "Bram Claassen"),
    ("Leefgroepen Oosterhout", "leefgroepenoosterhout",
     "Arendshof 14", "4902 SC", "Oosterhout", "Nadia Bouzid"),
    ("Kamertraining De Sprong", "desprong",
     "Stationsstraat 61", "4941 AA", "Raamsdonksveer", "Tim Verschuren"),
    ("Pleeggezinnen Zwaluwe", "zwaluwe", "Havenweg 4", "4926 AB", "Lage Zwaluwe", "Marieke Wouters"),
    ("Gezinshuis De Beuk", "debeuk", "Beukenlaan 27", "4859 AA", "Prinsenbeek", "Gert-Jan Aarts"),
    ("Woongroep De Schakel", "deschakel", "Ridderstraat 50", "4902 AC", "Oosterhout", "Priya Ramdin"),
    ("Stichting Samen Wonen Altena", "samenwonenaltena",
     "Spijkstraat 8", "4251 BK", "Werkendam", "Wim van Andel"),
    ("Gezinshuis De Kastanje", "dekastanje", "Kastanjelaan 15", "4813 AK", "Breda", "Ilse Goossens"),
    ("Jongerenwonen Geertruidenberg", "jongerenwonen",
     "Markt 21", "4931 BR", "Geertruidenberg", "Yusuf Demir"),
    ("Gezinshuis Den Hout", "denhout", "Houtse Heuvel 6", "4911 AA", "Den Hout", "Marloes Schellekens"),
    ("Kleinschalig Wonen Breda Noord", "bredanoord", "Haagsemarkt 3", "4813 BA", "Breda", "Koen Lambregts"),
    ("Pleegzorg De Brug", "debrug", "Tramstraat 44", "4841 HA", "Prinsenbeek", "Saskia Jacobs"),
    ("Leefgroep Het Baken", "hetbaken", "Wilhelminastraat 12", "4285 BC", "Woudrichem", "Dennis Rombouts"),
    ("Stichting Eigen Plek", "eigenplek", "Keizerstraat 20", "4811 HL", "Breda", "Hanna Vermeulen"),
    ("Gezinshuis De Wilgen", "dewilgen", "Wilgenstraat 2", "4844 AB", "Terheijden", "Rob Mutsaers"),
    ("Woonvorm Zonnehof", "zonnehof", "Zonnehof 1", "4901 KK", "Oosterhout", "Linda Oomen"),
]

# Questions from providers and the region's answers (all published, anonymised).
QUESTIONS = [
    ("Tarieven 2028", "Wanneer publiceert de regio de tarieven voor 2028?",
     "De tarieven voor 2028 worden uiterlijk 1 oktober 2027 gepubliceerd, geïndexeerd met de "
     "OVA-index."),
    ("Certificaat in aanvraag", "Ons HKZ-certificaat is aangevraagd maar nog niet afgegeven. "
     "Kunnen wij ons al aanmelden?",
     "Aanmelden kan pas met een geldig certificaat (eis A5). U kunt een concept opslaan en "
     "indienen zodra het certificaat er is; aanmelden kan gedurende de hele looptijd."),
    ("Meer dan vier kinderen in het gezinshuis", "Mogen wij vijf kinderen plaatsen als de "
     "verwijzer daarmee instemt?",
     "Ja, tot zes geplaatste kinderen na overleg met de verwijzers (eis H2). Vermeld het "
     "aantal in uw aanmelding."),
    ("Meerdere categorieën", "Moeten wij voor elke categorie een aparte aanmelding doen?",
     "Nee, u kiest in één aanmelding alle categorieën waarvoor u zich aanmeldt. De regio "
     "besluit per categorie."),
    ("Onderaannemers", "Mogen wij met een onderaannemer werken voor de nachtdiensten?",
     "Ja, mits de onderaannemer aan dezelfde kwaliteitseisen voldoet. U blijft als "
     "hoofdaannemer verantwoordelijk."),
    ("Wijziging van het KvK-nummer", "Wij fuseren per 1 maart. Wat gebeurt er met onze "
     "toelating?",
     "Meld de fusie vooraf bij de contractbeheerder. De nieuwe rechtspersoon meldt zich aan; "
     "de toelating gaat niet vanzelf over."),
]

DECLINED_REASON = "Het geldige certificaat van het kwaliteitssysteem ontbreekt."
TEXT_ANSWER = ("Jongeren denken mee in onze jongerenraad; een ervaringsdeskundige werkt in elk "
               "team en we evalueren elk half jaar met de jongeren zelf.")
CAPACITY_REMARKS = (None, "Voorkeur voor jongeren uit de regio.", "Alleen in overleg met de "
                    "gedragswetenschapper.", None, "Eén plaats is geschikt voor een broer en zus.")
