"""numbanet.aula: the two calls the Spanish notebooks use."""

from __future__ import annotations

from numbanet import aula, plots


def test_figura_draws_in_spanish_at_the_notebooks_budget(monkeypatch):
    seen = []
    monkeypatch.setattr(plots, "plot", lambda fid, lang, budget: seen.append((fid, lang, budget)))
    monkeypatch.setattr(aula, "PRESUPUESTO", "tiny")
    aula.figura("compose-1d")
    aula.figura("compose-1d", budget="reduced")
    monkeypatch.setattr(aula, "PRESUPUESTO", "reduced")
    aula.figura("lenet")
    assert seen == [
        ("compose-1d", "es", "tiny"),
        ("compose-1d", "es", "reduced"),
        ("lenet", "es", "reduced"),
    ]


def test_afirmacion_prints_the_slide_numbanet_and_the_verdict(capsys):
    r = aula.afirmacion(1)
    out = capsys.readouterr().out
    assert out.startswith("Afirmación 1: ")
    assert f"veredicto:   {r.verdict}" in out and str(r.computed) in out
