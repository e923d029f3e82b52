"""What is kept between runs: the mail ledger, confirmations, the publication memory of feeds.

It imports only the foundation modules: neither the organisation (``org``) nor how
people are told (``notify``). Only this layer talks to the database.
"""
