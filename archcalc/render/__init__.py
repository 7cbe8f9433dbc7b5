"""Renderers: reports and diagnostics to text, markdown, LaTeX, CSV and JSON."""
