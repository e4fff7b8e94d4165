"""Accounts: users, organisations, roles, registration and login."""

