"""The frontier report: one self-contained HTML file (and PNGs) drawn from the store."""
