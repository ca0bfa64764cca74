"""The browsing UI: entity pages, class pages, search, query page, report reader, downloads."""
