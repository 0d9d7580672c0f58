"""Where a publication's address leaves pubcli: the user's web browser (SPEC section 11)."""

from __future__ import annotations

from pubcli.errors import CatalogueError
from pubcli.safe_text import quoted


def open_in_browser(url: str) -> bool:
    """Open ``url`` with Python's ``webbrowser`` (which honours ``BROWSER``); False when
    there is no browser to open it with, or the one found failed.

    The URL comes from the catalogue, so it is untrusted: anything but an absolute http(s)
    URL is refused before a browser is even looked for (``file:``, ``javascript:`` and
    the like could act on this machine), and ``webbrowser`` runs the browser with the URL
    as one argument, never through a shell.
    """
    from pubcli.catalogue.rules import is_web_url

    if not is_web_url(url):
        raise CatalogueError(f"not opening {quoted(url)}: not an http:// or https:// URL")
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    try:
        return bool(browser.open(url))
    except (OSError, webbrowser.Error):
        return False
