"""The law and the site's shape as data: the front-matter fields (schema), the catalog categories
(taxonomy, taxonomy.yml), every generated path, nav section and page kind (layout), and working days
(workdays). Everything else reads these; they read nothing of gongkai but the model.
"""
