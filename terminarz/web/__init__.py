"""The WSGI application served by ``terminarz serve``: feed routes and confirmation pages.

It imports the layers below (``law``, ``org``, ``store``, ``notify``) and the foundation
modules; it takes the clock as a parameter from the CLI.
"""
