"""The GlassBox server (``glassbox serve``): a REST API over a database, for people and services
that never open a notebook. See app.py for the routes, tables.py for what is stored.

Example:
    >>> from glassbox_jupyter.server.app import API
    >>> API
    '/api/v1'
"""
