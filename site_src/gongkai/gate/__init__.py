"""The gate: what a reader will see (visible, scan), Item -> Decision with redaction (decide), the
checks of the built output (output), HTML sanitising (sanitize) and what mkdocs.yml may switch on
(allowlist).
"""
