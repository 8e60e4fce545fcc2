# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,numbanet,-jupytext.text_representation
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   numbanet:
#     generated_from: profesor/000_redes_profundas.py
#     version: alumno
# ---

# %% [markdown]
# # Tema 5 · Redes de neuronas profundas
#
# Cuaderno de la presentación **000** (*Understanding Deep Learning*, cap. 4): componer redes,
# combinar dos redes en una, hiperparámetros, y redes no profundas frente a profundas. Cada figura
# de las diapositivas se recalcula aquí con **numbanet** (sus propias redes y su teoría) y cada
# número que afirman se comprueba con `numbanet.claims`.
#
# Las figuras se calculan con `numbanet.plots.plot`. Las baratas llevan `budget="reduced"`: salen
# como en `numbanet figures` y en las diapositivas. Las que entrenan redes usan `PRESUPUESTO`:
# `"tiny"` (segundos: curvas cortas que solo enseñan la forma del experimento; así se ejecutan los
# cuadernos en la integración continua) o `"reduced"` (como en las diapositivas; algunas tardan
# minutos). Cambia el valor de abajo para repetirlas a tamaño real.

# %%
import numpy as np

import numbanet as nb
from numbanet import aula, slides
from numbanet.theory import compose
from numbanet.theory import regions as R

aula.PRESUPUESTO = "tiny"  # "reduced": como en las diapositivas (más lento)
figura, afirmacion = aula.figura, aula.afirmacion


print("numbanet", nb.__version__)

# %% [markdown]
# Los enunciados de las afirmaciones salen en inglés, como en `numbanet claims`; el veredicto es
# `holds` (se cumple), `approx` (dentro de la tolerancia indicada) o `differs` (no coincide: las
# diapositivas tienen, por ejemplo, alguna errata).
#
# ## 1. Componer dos redes
#
# La diapositiva compone dos redes poco profundas (*shallow*) de una entrada, tres unidades ocultas
# ReLU, $a[z] = \max(0, z)$, y una salida:
#
# $$h_d = a[\theta_{d0} + \theta_{d1} x],\qquad y = \phi_0 + \phi_1 h_1 + \phi_2 h_2 + \phi_3 h_3,$$
#
# y la segunda red toma como entrada la salida $y$ de la primera. Construimos ambas con las capas
# de numbanet (`Dense` y `ReLU`) y les ponemos los parámetros de la diapositiva
# (`numbanet.slides.NET1` y `NET2`). En numbanet una capa `Dense(n_ent, n_sal)` guarda `W` con
# forma `(n_sal, n_ent)` y `b` con forma `(n_sal,)`.


# %%
def red_superficial(red):
    """Una red 1-3-1 ReLU con los parámetros ``red = {"hidden": ((θ_d0, θ_d1), ...),
    "output": (φ_0, φ_1, φ_2, φ_3)}`` de la diapositiva."""
    oculta, salida = nb.Dense(1, 3), nb.Dense(3, 1)
    modelo = nb.Sequential(
        [oculta, nb.ReLU(), salida], backend="reference", dtype=np.float64, seed=0
    )
    oculta.W.value = np.array([[pendiente] for _, pendiente in red["hidden"]])
    oculta.b.value = np.array([sesgo for sesgo, _ in red["hidden"]])
    salida.W.value = np.array([red["output"][1:]])
    salida.b.value = np.array([red["output"][0]])
    return modelo


red1 = red_superficial(slides.NET1)
red2 = red_superficial(slides.NET2)
print("red1:", slides.NET1)
print("red2:", slides.NET2)
print("red1(0.5) =", red1.predict(np.array([[0.5]]))[0, 0])

# %% [markdown]
# Una red ReLU calcula una función lineal a trozos. `numbanet.theory.regions.count_1d` encuentra
# **exactamente** los puntos donde cambia de tramo (sigue las activaciones capa a capa, sin
# muestrear):

# %%
for nombre, red in (("red1", red1), ("red2", red2)):
    tramo = R.count_1d(red, -1.0, 1.0)
    print(
        f"{nombre}: {tramo.pieces} tramos lineales en [-1, 1], cambios en x = {tramo.piece_x[:, 0]}"
    )

# %% [markdown]
# ## 2. Combinar las dos redes en una
#
# Sustituyendo $y$ en la segunda red, sus unidades ocultas quedan en función de las de la primera:
# $h'_d = a[\psi_{d0} + \psi_{d1} h_1 + \psi_{d2} h_2 + \psi_{d3} h_3]$ con
# $\psi_{dj} = \theta'_{d1}\phi_j$. La composición es una red con **dos capas ocultas** (1-3-3-1)
# cuya matriz $\Psi$ está restringida: es un producto exterior, de rango 1.
# `numbanet.theory.compose.merge` construye esa red:

# %%
compuesta = compose.merge(red1, red2)
compuesta.summary()
x = np.linspace(-1, 1, 9)[:, None]
assert np.allclose(compuesta.predict(x), red2.predict(red1.predict(x)))
print("rango de Psi:", compose.hidden_matrix_rank(compuesta))
print("tramos de red2(red1(x)):", R.count_1d(compuesta, -1.0, 1.0).pieces)

# %% [markdown]
# Los tramos se **multiplican**: red1 recorre tres veces el intervalo donde red2 tiene sus cuatro
# tramos, así que $3 \times 4 = 12$. La figura de la diapositiva, recalculada:

# %%
fig = figura("compose-1d", budget="reduced")

# %% [markdown]
# ### La analogía del plegado
#
# red1 "pliega" $[-1, 1]$ sobre sí mismo; componerla consigo misma pliega otra vez: 9 tramos, y
# red2 después, 36. La afirmación 4 lo comprueba contando exactamente los tramos de las redes del
# motor, no con la fórmula:

# %%
fig = figura("folding", budget="reduced")
r = afirmacion(4)

# %% [markdown]
# **Ejercicio 1.** Compón las redes en el otro orden, $y = \text{red1}(\text{red2}(x))$, con
# `compose.merge`. ¿Cuántos tramos tiene en $[-1, 1]$? ¿Por qué no tiene por qué ser 12? (Pista:
# mira qué parte del eje $y$ recorre red2 cuando $x \in [-1, 1]$ y cuántos tramos tiene red1 ahí.)

# %% tags=["exercise"]
# Ejercicio: escribe aquí tu solución.

# %% [markdown]
# ## 3. Comparación con una red de 6 unidades ocultas
#
# Con las mismas 6 unidades ocultas (3 + 3), una red *shallow* 1-6-1 tiene como mucho $6 + 1 = 7$
# tramos: cada unidad ReLU añade a lo sumo un cambio de pendiente (afirmación 1: $D$ unidades dan
# como mucho $D + 1$ regiones y tienen $3D + 1$ parámetros). La figura entrena una red 1-6-1 para
# que imite a la composición de 12 tramos:

# %%
fig = figura("compose-vs-shallow", budget="reduced")
r = afirmacion(1)

# %% [markdown]
# **Ejercicio 2.** Construye 200 redes 1-6-1 ReLU aleatorias (`nb.Sequential` con `seed` distinta
# y sesgos aleatorios, p. ej. normales de desviación 0.5) y cuenta sus tramos en $[-1, 1]$ con
# `R.count_1d`. ¿Cuál es el máximo? ¿Llega alguna a 7?

# %% tags=["exercise"]
# Ejercicio: escribe aquí tu solución.

# %% [markdown]
# ## 4. Composición en 2-D y redes profundas como recorte
#
# Con dos entradas, una red *shallow* parte el plano con rectas; componerla con red2 añade una
# frontera por cada curva de nivel de $y$ donde red2 cambia de tramo (las fronteras se calculan
# exactamente con `R.count_2d`):

# %%
fig = figura("compose-2d", budget="reduced")

# %% [markdown]
# Una red general con dos capas ocultas (sin la restricción $\psi = \theta\phi$) se lee como
# **recorte**: cada unidad de la segunda capa recorta (ReLU) una función lineal a trozos de $x$ y
# la salida suma los trozos recortados, ponderados (la red 1-3-3-1 de la diapositiva):

# %%
fig = figura("deep-as-clipping", budget="reduced")

# %% [markdown]
# ## 5. Hiperparámetros y notación para redes profundas
#
# Una red con $K$ capas ocultas de anchuras $D_1, \dots, D_K$. Con una entrada, una salida y $K$
# capas de $D$ unidades tiene $3D + 1 + (K-1)(D^2 + D)$ parámetros y, como mucho, $(D+1)^K$
# regiones lineales. Para $K = 5$, $D = 10$: 471 parámetros y $11^5 = 161\,051$ regiones; la
# diapositiva escribe "161501" (una errata: dos cifras intercambiadas).

# %%
print("parámetros de 1-10-10-10-10-10-1:", R.parameter_count([1, 10, 10, 10, 10, 10, 1]))
print("regiones (D + 1)^K:", R.deep_1d_max(10, 5))
r = afirmacion(2)

# %% [markdown]
# Con $D_i = 10$ entradas, $K = 5$ y $D = 50$: 10 801 parámetros y más de $10^{40}$ regiones
# (ec. 4.17 de UDL, corregida). Para una red *shallow* la cuenta exacta es la de Zaslavsky,
# $\sum_{j=0}^{D_i} \binom{D}{j}$:

# %%
print("ec. 4.17:", f"{float(R.udl_max_regions(10, 50, 5)):.4e}")
print("Zaslavsky (D_i = 2, D = 3):", R.zaslavsky(2, 3))
r = afirmacion(3)
r = afirmacion(6)

# %% [markdown]
# **Ejercicio 3.** Para una red de una entrada y una salida con $K = 3$ capas ocultas de $D = 20$
# unidades, calcula con la fórmula de la diapositiva el número de parámetros y el máximo de regiones
# lineales, y compruébalos con `R.parameter_count` y `R.deep_1d_max`. ¿Cuántas unidades necesitaría
# una red *shallow* para tener tantas regiones? ¿Cuántos parámetros tendría?

# %% tags=["exercise"]
# Ejercicio: escribe aquí tu solución.

# %% [markdown]
# ## 6. Redes no profundas frente a profundas
#
# El máximo de regiones crece exponencialmente con la profundidad y solo polinómicamente con la
# anchura. Los dos puntos marcados son los ejemplos de la diapositiva:

# %%
fig = figura("regions-per-parameter", budget="reduced")

# %% [markdown]
# Pero esos son **máximos**. Las redes reales (aleatorias o entrenadas) quedan muy por debajo; la
# figura cuenta exactamente las regiones de redes de numbanet junto a las cotas:

# %%
fig = figura("regions-depth-width")

# %% [markdown]
# **Ejercicio 4.** Cuenta las regiones en $[-1, 1]$ de cinco redes ReLU aleatorias 1-10-10-1
# (pesos He, sesgos normales de desviación 0.5) y compáralas con el máximo $(D+1)^K = 121$. ¿Qué
# fracción del máximo alcanzan?

# %% tags=["exercise"]
# Ejercicio: escribe aquí tu solución.

# %% [markdown]
# ## 7. Ancha o profunda, con datos: MNIST-1D
#
# MNIST-1D (Greydanus, 2020) son señales de 40 muestras de diez clases; numbanet las genera sin
# descargar nada. Entrenamos una red con el motor directamente: `nb.models.mlp` construye las
# capas, `fit` entrena por minilotes y `evaluate` mide la precisión.

# %%
datos = nb.data.load_mnist1d(n_samples=2000)
print("entrenamiento:", datos.x_train.shape, "| prueba:", datos.x_test.shape)
red = nb.models.mlp([40, 100, 100, 10], "relu", backend="cpu", seed=0)
historia = red.fit(
    datos.x_train,
    datos.y_train,
    loss=nb.losses.CrossEntropy(),
    optimizer="adam",
    lr=1e-3,
    epochs=10,
    batch_size=64,
)
print("precisión de entrenamiento por época:", np.round(historia["accuracy"], 3))
prueba = red.evaluate(datos.x_test, datos.y_test, loss=nb.losses.CrossEntropy())
print(f"precisión de prueba: {prueba['accuracy']:.3f}")

# %% [markdown]
# La figura compara redes de una capa oculta (anchas) y de tres (profundas) con el mismo número de
# parámetros. Con `PRESUPUESTO = "tiny"` entrena una sola época: para ver el resultado de las
# diapositivas usa `"reduced"` (unos minutos).

# %%
fig = figura("wide-vs-deep")

# %% [markdown]
# ### Etiquetas aleatorias (UDL, fig. 20.2)
#
# Con etiquetas **aleatorias** no hay nada que generalizar: la red solo puede memorizar. Las redes
# de 1 a 4 capas ocultas de la figura tienen casi los mismos parámetros (afirmación 5) y las más
# profundas memorizan en menos épocas.

# %%
fig = figura("mnist1d-random-labels")
r = afirmacion(5)

# %% [markdown]
# **Ejercicio 5.** Entrena en MNIST-1D (`datos` de arriba) una red ancha `[40, 298, 10]` y una
# profunda `[40, 63, 63, 63, 63, 10]` (casi los mismos parámetros, compruébalo con
# `R.parameter_count`) durante 10 épocas con Adam, y compara su precisión de prueba. ¿Gana la
# profunda?

# %% tags=["exercise"]
# Ejercicio: escribe aquí tu solución.

# %% [markdown]
# ## Resumen
#
# * Componer redes multiplica los tramos lineales ($3 \times 4 = 12$); una red *shallow* con las
#   mismas unidades no pasa de $D + 1$.
# * La composición es una red de dos capas ocultas con pesos restringidos ($\Psi$ de rango 1); la
#   red profunda general es más flexible.
# * El máximo de regiones crece exponencialmente con la profundidad, pero las redes reales quedan
#   lejos de él.
#
# Para repetir todo desde la terminal: `numbanet figures compose-1d folding --lang es` y
# `numbanet claims --fast`.
