"""Renders saved audit results to static HTML, Markdown, LaTeX and CSV. Never imports torch."""
