"""One module per command (group). Each exposes `register(app)` and imports heavy modules lazily."""

COMMAND_MODULES = ("endpoints", "flows", "rules", "audit", "probe", "trace", "check", "serve", "drops",
                   "connectors", "apply", "schema", "help")
