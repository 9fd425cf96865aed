"""The HTTP API under /api/v1/: intake, simulation and lead reads (DRF, thin views)."""
