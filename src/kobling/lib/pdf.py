"""HTML to PDF with WeasyPrint, the one way Kobling prints: the document is complete in itself,
so every fetch is refused (no file:, no http:). Framework-free: it takes the rendered HTML and
the stylesheet. Every PDF Kobling makes goes through here."""

from __future__ import annotations


def html_to_pdf(html: str, css: str) -> bytes:
    import weasyprint

    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    document = weasyprint.HTML(string=html, base_url="about:blank", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[weasyprint.CSS(string=css)])
