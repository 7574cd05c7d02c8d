"""Taxonomy: CITES checklist import (and, later, name resolution and zoonotic profiles)."""
