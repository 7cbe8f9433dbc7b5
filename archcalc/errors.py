"""Exceptions shared by the layers of archcalc, kept in a module that imports nothing heavy."""


class BackendError(Exception):
    """A spec that cannot become a PyTorch model; the message says why."""
