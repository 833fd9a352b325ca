"""The approver pages: My tasks, a task with its actions, My history, Settings.

One module per page; `documents.urls` maps them. This package stays free of imports
so that `documents.forms` can use the list queries in `lists` without a cycle.
"""
