"""The only package that knows MkDocs: the plugin and its events (plugin), what outlives one build
(preview), the second render process (render), the output-check wiring (output), the gate guard
(guard), what the CLI asks of MkDocs (commands) and the preview's file watcher (watch); which
engine runs them, MkDocs or ProperDocs (engine), is settled first, before anything imports MkDocs.
"""
from gongkai.glue import engine  # noqa: F401 - chooses the engine before any `mkdocs` import

