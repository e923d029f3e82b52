"""What the law says: the working-day calendar, periods, rules, catalogues, explanations.

Pure computation; the only input it reads is a catalogue file (and the bundled holiday
table). It imports nothing of terminarz above the foundation modules (``errors``,
``polish``, ``paths``, ``tomlcheck``) and never reads the clock.
"""
