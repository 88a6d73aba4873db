"""Model runtime and registry: loading, scoring, explanations, hot swap (see the README)."""
