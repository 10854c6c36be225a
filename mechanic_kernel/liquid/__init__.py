"""Mechanic Liquid: the dialect of Liquid that Mechanic tasks are written in.

Use :mod:`mechanic_kernel.liquid.render` (``render``, ``render_text``, ``parse_template``, ``Action``,
``RenderResult``, ``RenderError``) with a :class:`mechanic_kernel.liquid.runtime.Runtime`. The dialect
itself is ``environment.py`` (python-liquid set up as Mechanic Liquid), one module per tag in ``tags/``,
the filters in ``filters/``, and ``limits.py``/``output.py`` for render limits and the JSON object stream.
Nothing is re-exported here, so importing the package (e.g. for ``runtime``) stays cheap and cycle-free.
"""
