"""The web console: server-rendered pages (Jinja2 + HTMX + vendored ECharts), zh-CN and English."""
