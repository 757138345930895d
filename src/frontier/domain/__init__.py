"""Pure domain: specs, bands, metrics, sampling, admission, saturation, canaries, lineage.

Nothing here does I/O; an import-linter contract keeps it that way.
"""
