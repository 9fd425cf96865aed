"""Database helpers: the hand-written statements run for every lead (`statements.py`),
on a cursor psycopg may prepare (`prepared.py`), rows written without `save()`
(`rows.py`), a table's rows in one statement (`bulk.py`). Generic over models: no models
of ours, no services."""
