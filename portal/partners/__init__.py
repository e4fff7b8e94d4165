"""Admitted partners over the term."""

