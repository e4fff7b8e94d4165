"""The mails the oversight part sends. ``create_app`` declares ``KINDS``."""

KINDS = ()
