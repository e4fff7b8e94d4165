"""Management figures and charts over applications, decisions and admissions."""
