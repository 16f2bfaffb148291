"""FastAPI app: JSON API under /api, pages (Jinja2 + HTMX + ECharts), auth."""
