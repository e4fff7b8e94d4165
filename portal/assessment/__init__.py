"""The assessor's side: queue, verdicts, decision."""

