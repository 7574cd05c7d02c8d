"""Zoonotic risk of traded taxa: the HP3/VIRION host summary, name resolution, tiers, profiles and their evaluation."""
