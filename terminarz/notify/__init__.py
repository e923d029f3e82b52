"""How people are told: calendar feeds, mail composition and SMTP, reminder decisions,
the nightly run and the scheduler.

It imports the layers below (``law``, ``org``, ``store``) and the foundation modules;
of this layer only the scheduler reads the clock.
"""
