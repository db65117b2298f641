"""The REST API's routers, one module per resource, mounted under ``/api/v1`` by app.py.

Example:
    >>> from glassbox_jupyter.server.routes import me
    >>> me.router.tags
    ['me']
"""
