"""The library model: what each library API waits for, as data (``apis.toml``); see ``table``."""

from .table import Api, Constant, LibraryModel, LibraryTableError, LibType, Scope, builtin_table, library_model

__all__ = ["Api", "Constant", "LibType", "LibraryModel", "LibraryTableError", "Scope", "builtin_table", "library_model"]
