"""Jobs: capabilities run on a project's model outside the request.

``kinds`` says which capabilities a job may run and checks their parameters when the job is
submitted; ``worker`` runs one job (in its own process, or on a Dask worker) and stores its
Finding; ``runner`` starts queued jobs, cancels them, and on start marks jobs a crashed server
left running as failed.

Example:
    >>> from glassbox_jupyter.server.jobs.kinds import KINDS
    >>> sorted(KINDS)
    ['audit', 'circuit', 'latent', 'logic', 'math', 'neurons', 'twin']
"""
