"""Domain records every layer shares: events, webhooks, tasks, runs and generated files.

Plain data and the rules that belong to the data itself (a run's allowed transitions); no I/O. The store
reads and writes these records and depends on nothing above this package.
"""
