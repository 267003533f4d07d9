"""Department and router prompts as markdown files with YAML front matter (data, not code)."""
