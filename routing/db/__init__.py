"""Database helpers: statements sent together and prepared (`statements.py`,
`pipeline.py`), rows written without `save()` (`rows.py`), a table's rows in one
statement (`bulk.py`). Generic over models: no models of ours, no services."""
