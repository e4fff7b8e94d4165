"""Passwords: hashing with argon2id (argon2-cffi's default type) and the policy for a new
password (ASVS 6.2): 12 to 128 characters, no composition rules, and not common or
guessable, judged by zxcvbn (score 3 or more) given the user's name, e-mail address and
organisation. zxcvbn's own feedback is English; ``weakness`` says why in Dutch."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..i18n import N_
from ..i18n import gettext as _

MIN_LENGTH = 12
MAX_LENGTH = 128
ZXCVBN_MAX = 72
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline attacks"

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters

# Verified against when no user matches, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """The hash was made with other argon2 parameters than today's: hash again at login."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


# --------------------------------------------------------------------------- the policy

TOO_SHORT = f"Kies een wachtwoord van minstens {MIN_LENGTH} tekens."
TOO_LONG = f"Een wachtwoord mag hoogstens {MAX_LENGTH} tekens hebben."
ONLY_SPACES = N_("Een wachtwoord mag niet alleen uit spaties bestaan.")
ADVICE = N_(" Kies bijvoorbeeld een zin van een paar woorden die niet bij elkaar horen, "
            "zoals ‘fiets-wolk-koffie-lantaarn’.")

# The Dutch reason per kind of weakness zxcvbn found (its match patterns and dictionaries).
REASONS = {
    "user_inputs": "Het wachtwoord lijkt op uw naam, uw e-mailadres of de naam van uw "
                   "organisatie.",
    "passwords": "Dit wachtwoord, of het grootste deel ervan, staat in de lijsten van "
                 "veelgebruikte wachtwoorden.",
    "words": "Het wachtwoord bestaat vooral uit een bekend woord of een naam.",
    "repeat": "Het wachtwoord bestaat uit herhaalde tekens of een herhaald patroon, zoals "
              "‘aaaa’ of ‘abcabc’.",
    "sequence": "Het wachtwoord bevat een reeks, zoals ‘1234’ of ‘abcd’.",
    "spatial": "Het wachtwoord volgt een patroon op het toetsenbord, zoals ‘qwerty’.",
    "date": "Het wachtwoord bestaat vooral uit een datum of een jaartal.",
    "other": "Dit wachtwoord is te makkelijk te raden.",
}


def length_problem(password: str | None) -> str | None:
    """The length rules alone (forms check them before anything else)."""
    password = password or ""
    if password and not password.strip():
        return _(ONLY_SPACES)
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    return None


def _cause(sequence: list[dict]) -> str:
    """The weakness that covers most of the password."""
    covered: dict[str, int] = {}
    for match in sequence:
        pattern = match.get("pattern")
        if pattern == "bruteforce":
            continue
        if pattern == "dictionary":
            name = match.get("dictionary_name")
            cause = name if name in ("user_inputs", "passwords") else "words"
        elif pattern in ("repeat", "sequence", "spatial", "date"):
            cause = pattern
        elif pattern == "regex":
            cause = "date"  # zxcvbn's one regex: a recent year
        else:
            cause = "other"
        covered[cause] = covered.get(cause, 0) + len(match.get("token", ""))
    if not covered:
        return "other"
    return max(covered, key=covered.get)


def weakness(password: str, user_inputs: list[str | None] = ()) -> str | None:
    """Why ``password`` is refused, in Dutch; None when it may be used."""
    problem = length_problem(password)
    if problem:
        return problem
    from zxcvbn import zxcvbn

    inputs = []
    for value in user_inputs:
        if value:
            inputs.extend([value, "".join(value.split())])
            inputs.extend(part for part in value.replace("@", " ").replace(".", " ").split()
                          if len(part) >= 3)
    # zxcvbn judges at most 72 characters (it refuses more); a longer password is judged
    # by its start, so 100 times "a" is still refused.
    result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    return REASONS[_cause(result["sequence"])] + _(ADVICE)
