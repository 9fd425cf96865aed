"""The rep's queue at /queue/: their leads, the shared queue, a lead's page; what a rep
may see is decided in one place, `selectors.py`."""
