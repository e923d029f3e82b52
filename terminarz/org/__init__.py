"""Who does it: the organisation file, duty resolution, absences, data requests, the plan.

Pure given its inputs (the organisation file, absence calendars, a ``today``). It imports
the law layer and the foundation modules, nothing above them, and never reads the clock.
"""
