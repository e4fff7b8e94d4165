"""Test infrastructure helpers (SMTP catcher, throwaway PostgreSQL, browser/live server)."""
