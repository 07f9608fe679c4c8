"""政府信息公开工作年度报告 in the format of 国办公开办函〔2021〕30号.

Read before the gate: ``labels`` (the official format: the one source of truth), ``body`` (the six
sections of the Markdown body), ``figures`` (the ``report:`` block read leniently, ``ReportTables``),
``validate`` (what the gate checks), ``narrative`` (figures the text writes against the tables) and
``tables`` (``annual_report_tables``: every total computed, with the cross-checks).
At the site layer: ``grids`` (the tables laid out as the format does), ``html`` (the report page),
``xlsx`` (the same grids as an .xlsx) and ``index`` (the list of reports, their site paths, the
reports missing).
"""
