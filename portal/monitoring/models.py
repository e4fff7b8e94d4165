"""The monitoring part's tables."""
