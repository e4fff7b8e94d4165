"""The open house itself: procedure, categories, requirements, public pages."""

