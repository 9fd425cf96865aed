"""A bench-only URLconf and settings adding a bare insert endpoint next to the product's API.

Used by bench/bench_intake.py as the baseline: same gunicorn, same Django middleware, same
intake-key authentication, same database, one validated JSON body inserted as one row.
"""
