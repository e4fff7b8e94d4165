"""The mails the monitoring part sends. ``create_app`` declares ``KINDS``."""

KINDS = ()
