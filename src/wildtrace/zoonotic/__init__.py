"""Taxonomy and species facts: CITES checklist import, name resolution, zoonotic profiles."""
