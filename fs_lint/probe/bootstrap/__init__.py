"""The folder ``fs-lint probe`` puts first on the probed service's ``PYTHONPATH``.

Its ``sitecustomize`` runs at the start of every Python process of the service, in
whatever virtual environment and Python version the service uses: it must import
nothing from fs-lint and run on Python 3.8 and newer.
"""
