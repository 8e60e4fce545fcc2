"""Helpers of the Spanish course notebooks (``notebooks/``), *aula* being the classroom.

Each notebook walks one lecture deck: it redraws the deck's figures and re-checks the numbers
the deck states. Two calls do that, with Spanish labels and messages:

* ``figura(id)`` computes and draws a figure of the slides (``numbanet.plots.plot`` with
  ``lang="es"``) at the budget ``PRESUPUESTO`` unless one is given;
* ``afirmacion(n)`` recomputes claim ``n`` (``numbanet.claims.check``) and prints the slide's
  value, numbanet's and the verdict.

``PRESUPUESTO`` is ``"tiny"`` (seconds: short curves that show the shape of an experiment; the
notebooks run this way in CI) and can be set to ``"reduced"`` (as in ``numbanet figures`` and
the slides) with ``aula.PRESUPUESTO = "reduced"``.
"""

from __future__ import annotations

#: The budget of ``figura`` when none is given: "tiny", "reduced" or "full".
PRESUPUESTO = "tiny"


def figura(id_figura, budget=None):
    """Calcula y dibuja la figura ``id_figura`` de las diapositivas, con rótulos en español, con
    el presupuesto ``budget`` o, si no se da, ``PRESUPUESTO``."""
    from . import plots

    return plots.plot(id_figura, lang="es", budget=budget or PRESUPUESTO)


def afirmacion(numero, **opciones):
    """Recalcula la afirmación ``numero`` de las diapositivas (``opciones``: las de
    ``numbanet.claims.check``) y muestra el veredicto."""
    from . import claims

    r = claims.check(numero, **opciones)
    print(f"Afirmación {numero}: {r.statement}")
    print(f"  diapositiva: {r.slide_value}")
    print(f"  numbanet:    {r.computed}")
    print(f"  veredicto:   {r.verdict} ({r.explanation})")
    return r
