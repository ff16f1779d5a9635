"""Importing a chain's members, cards and opening balances from its old system (M4, V8), pure:
reading CSV/XLSX files, mapping their column names, validating each row, writing the error report.
No database, no gRPC: the CLI reads and reports here, HQ validates the rows it is streamed here
(docs/import.md, docs/adr/0040-import.md)."""
