"""The editors' and reviewers' tools behind `gongkai new`, `ledger` and `check --changed`: they
return data and raise errors; cli.py prints.
"""
