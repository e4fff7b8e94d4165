"""The provider's application: answers, evidence, workflow."""

