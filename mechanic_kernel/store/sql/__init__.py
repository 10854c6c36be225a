"""The SQL both backends speak: the group-committing database and one module per record kind.

Statements here use ``?`` placeholders and read columns by name; :class:`.database.Dialect` names what
differs. The backends (:mod:`..sqlite`, :mod:`..postgres`) supply connections, the schema and the frames.
"""
