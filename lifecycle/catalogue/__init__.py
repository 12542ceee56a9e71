"""The registration types and their forms, as AWS's describe-definitions calls give them.

:class:`Catalogue` holds them; the records are in :mod:`lifecycle.catalogue.definitions`,
and the built-in answers in ``lifecycle/catalogue/data``.
"""

from lifecycle.catalogue.catalogue import BUILT_IN_REGISTRATION_TYPES, Catalogue
from lifecycle.catalogue.documents import Source

__all__ = ["BUILT_IN_REGISTRATION_TYPES", "Catalogue", "Source"]
