"""The feed server: address feeds per flow from memory, the HTML report, health and metrics."""
