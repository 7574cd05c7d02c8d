"""The taxonomy's home, below the scan: reference data (``refdata``: taxa, products, code words,
cues, patterns; loaded through ``wildtrace.manifest``), word senses that need context
(``senses``), the Species+ import (``checklist``) and name -> taxon resolution (``resolve``) used
by the scan, the species card, the zoonotic profile, search and trade."""
