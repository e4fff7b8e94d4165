"""Validation shared by forms and workflows (Dutch messages)."""
from __future__ import annotations

import re

from wtforms.validators import ValidationError

KVK_RE = re.compile(r"^\d{8}$")
AGB_RE = re.compile(r"^\d{8}$")
POSTCODE_RE = re.compile(r"^[1-9]\d{3} ?[A-Za-z]{2}$")


def normalise_digits(value: str | None) -> str:
    """Drop spaces and dots people type in numbers: '12 34 56 78' -> '12345678'."""
    return re.sub(r"[\s.]", "", value or "")


def is_valid_kvk(value: str | None) -> bool:
    return bool(KVK_RE.match(normalise_digits(value)))


def normalise_postcode(value: str) -> str:
    value = re.sub(r"\s", "", value or "").upper()
    return f"{value[:4]} {value[4:]}" if len(value) == 6 else value


class KvkNumber:
    message = "Een KvK-nummer bestaat uit precies 8 cijfers, bijvoorbeeld 12345678."

    def __call__(self, form, field):
        if field.data and not is_valid_kvk(field.data):
            raise ValidationError(self.message)


class AgbCode:
    message = "Een AGB-code bestaat uit precies 8 cijfers, bijvoorbeeld 73730123."

    def __call__(self, form, field):
        if field.data and not AGB_RE.match(normalise_digits(field.data)):
            raise ValidationError(self.message)


class Postcode:
    message = "Vul een Nederlandse postcode in, bijvoorbeeld 4811 AB."

    def __call__(self, form, field):
        if field.data and not POSTCODE_RE.match(field.data.strip()):
            raise ValidationError(self.message)


class StrongPassword:
    message = "Kies een wachtwoord van minstens 12 tekens."

    def __call__(self, form, field):
        if len(field.data or "") < 12:
            raise ValidationError(self.message)
