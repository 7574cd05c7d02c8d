"""Patrols: where poachers will strike next, from the patrol records a protected area keeps.

The loop (PAWS / iWare-E, Gholami et al. 2018): import what SMART or EarthRanger exports
(``smart_xml``, ``smart_csv``, ``earthranger``) into one ``PatrolData``; lay a grid of 1 km cells
over the park (``grid``); measure patrol effort per cell and month (``effort``) and static features
from the user's layers (``features``); build the cell-month panel (``panel``); train the
effort-aware ensemble and the past-activity baseline (``model``); evaluate year-ahead with the
project's one metrics module (``evaluate``); write risk maps (``riskmap``), a patrol plan within a
distance budget (``plan``) and GPX (``gpx``) into a run folder (``runs``). ``loop`` runs it all;
``synthetic`` makes a park with known ground truth for the demo and the tests.

Everything here needs the ``patrol`` extra: ``pip install 'wildtrace[patrol]'``.
"""
