"""What the site shows: the list of generated pages and exports (generated), item and home pages
(pages), catalogs and exports (catalog), the guide (guide), site health (health) and search (search).
"""
