"""The oversight part's tables."""
