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
#     version: profesor
# ---

# %% [markdown] tags=["solution"]
# **Versión del profesor**: contiene las soluciones de los ejercicios (celdas con la etiqueta
# `solution`). La versión del alumno, `notebooks/001_perceptron_backprop.ipynb`, se genera a
# partir de este fichero con `python notebooks/build.py`: no la edites a mano.

# %% [markdown]
# # Perceptrón multicapa
#
# Cuaderno de la presentación **001** (perceptrón, neuronas con activación lineal y sigmoide,
# softmax, XOR y retropropagación). Cada figura de las diapositivas se recalcula con
# **numbanet** y cada afirmación se comprueba con `numbanet.claims`.
#
# Las figuras se calculan con `numbanet.plots.plot`; todas las de este tema son baratas y llevan
# `budget="reduced"`: salen como en `numbanet figures` y en las diapositivas. `PRESUPUESTO` es el
# de las demás (`"tiny"`: segundos; `"reduced"`: como en las diapositivas).

# %%
import numpy as np

import numbanet as nb
from numbanet import aula
from numbanet.data import toy
from numbanet.theory import backprop
from numbanet.unsupervised import Perceptron

aula.PRESUPUESTO = "tiny"  # "reduced": como en las diapositivas (más lento)
figura, afirmacion = aula.figura, aula.afirmacion


# %% [markdown]
# Los enunciados de las afirmaciones salen en inglés, como en `numbanet claims`; el veredicto es
# `holds` (se cumple), `approx` (dentro de la tolerancia) o `differs` (no coincide; varias
# afirmaciones de este tema señalan erratas de las diapositivas).
#
# ## 1. Neurona artificial: unidad de umbral lineal
#
# $$\hat y = a = \phi\left(b + \sum_{i=1}^m w_i x_i\right) = \phi(b + \mathbf w^\top \mathbf x),$$
#
# con $\phi$ el escalón ("todo o nada"). El **algoritmo del perceptrón** empieza con pesos nulos
# y, para cada ejemplo, actualiza
# $w_j \leftarrow w_j + (y^{(i)} - \hat y^{(i)})\, x_j^{(i)}$ y $b \leftarrow b + (y^{(i)} - \hat
# y^{(i)})$ hasta que una época (una pasada por todos los ejemplos) no comete errores.
# `numbanet.unsupervised.Perceptron` es exactamente esa regla; `numbanet.data.toy.logic_gate` da
# las tablas de verdad.

# %%
X, y = toy.logic_gate("and")
perceptron = Perceptron(2)  # pesos y sesgo a cero, ejemplos en orden: la primera opción del tema
errores = perceptron.fit(X, y, epochs=20)
print("tabla AND:", X.tolist(), "->", y.tolist())
print("errores por época:", errores, "| convergió:", perceptron.converged)
print("w =", perceptron.w, " b =", perceptron.b)
print("predicciones:", perceptron.predict(X).tolist())

# %% [markdown]
# Las rectas de decisión aprendidas para AND, OR, NOR y NOT, y el caso XOR, que ninguna recta
# separa:

# %%
fig = figura("logic-gates", budget="reduced")

# %%
fig = figura("perceptron-training", budget="reduced")
r = afirmacion(14)

# %% [markdown]
# **Ejercicio 1.** Entrena el perceptrón en las compuertas OR y NAND (`toy.logic_gate("or")`,
# `"nand"`) partiendo de cero. ¿Cuántas épocas necesita cada una? Comprueba que las predicciones
# coinciden con la tabla. ¿Qué pasa con XOR si le das 1000 épocas?

# %% tags=["solution"]
for puerta in ("or", "nand", "xor"):
    Xp, yp = toy.logic_gate(puerta)
    p = Perceptron(2)
    errores = p.fit(Xp, yp, epochs=1000)
    print(
        f"{puerta}: {p.n_epochs_} épocas, convergió: {p.converged}, últimos errores {errores[-3:]}"
    )
    if puerta != "xor":
        assert p.converged and (p.predict(Xp) == yp).all()
    else:
        assert not p.converged  # ninguna recta separa XOR: la regla nunca llega a cero errores

# %% [markdown]
# ## 2. XOR con una capa oculta
#
# $X_1 \oplus X_2 = (X_1 \lor X_2) \land \lnot(X_1 \land X_2)$: dos unidades ocultas (una OR,
# otra AND) y una unidad de salida lo resuelven. La figura entrena una red 2-2-1 sigmoide con
# retropropagación y muestra el espacio oculto, donde XOR sí es separable por una recta:

# %%
fig = figura("xor-mlp", budget="reduced")

# %% [markdown]
# **Ejercicio 2.** Construye a mano, sin entrenar, la red 2-2-1 con activación escalón
# (`nb.Step()`, que da 1 si $z \ge 0$) que calcula XOR: la primera unidad oculta es OR, la segunda
# AND y la salida "OR y no AND". Pon los pesos en `capa.W.value` (forma `(salidas, entradas)`) y
# `capa.b.value`, y comprueba la tabla con `red.predict(X)`.

# %% tags=["solution"]
oculta, salida = nb.Dense(2, 2), nb.Dense(2, 1)
red_xor = nb.Sequential(
    [oculta, nb.Step(), salida, nb.Step()], backend="reference", dtype=np.float64
)
oculta.W.value = np.array([[1.0, 1.0], [1.0, 1.0]])
oculta.b.value = np.array([-0.5, -1.5])  # OR: x1 + x2 >= 0.5; AND: x1 + x2 >= 1.5
salida.W.value = np.array([[1.0, -1.0]])
salida.b.value = np.array([-0.5])  # OR y no AND
Xx, yx = toy.logic_gate("xor")
print(red_xor.predict(Xx)[:, 0], "esperado", yx)
assert (red_xor.predict(Xx)[:, 0] == yx).all()

# %% [markdown]
# ## 3. Neuronas con activación lineal y sigmoide
#
# Con activación lineal y el **error cuadrático medio**, y con la sigmoide y la **entropía
# cruzada binaria**, el gradiente tiene la misma forma:
#
# $$\frac{\partial E}{\partial w_j} = \frac{1}{N}\sum_{i=1}^N (\hat y^{(i)} - y^{(i)})\, x_j^{(i)}.$$
#
# Pero la diapositiva escribe el coste como una **suma** ($ECM = \frac12\sum_i(\hat y - y)^2$) y
# el gradiente como una **media**: les separa un factor $N$. Las afirmaciones 22 y 23 lo
# calculan con el motor; la 24 revisa la entropía cruzada categórica de la diapositiva.

# %%
r = afirmacion(22)
r = afirmacion(23)
r = afirmacion(24)

# %% [markdown]
# **Ejercicio 3.** Para una neurona lineal con los datos de abajo, calcula con NumPy el gradiente
# de $ECM = \frac12\sum_i(\hat y^{(i)} - y^{(i)})^2$ respecto de $\mathbf w$ y compáralo con el que
# calcula numbanet (`nb.losses.MSE()`, `red.backward`). ¿Qué factor los separa? ¿Qué coste
# deriva numbanet?

# %%
rng = np.random.default_rng(0)
Xn = rng.normal(size=(8, 3))
yn = rng.normal(size=(8, 1))
neurona = nb.Sequential([nb.Dense(3, 1)], backend="reference", dtype=np.float64, seed=0)
perdida = nb.losses.MSE()

# %% tags=["solution"]
w, b = neurona.layers[0].W.value[0], neurona.layers[0].b.value[0]
y_hat = Xn @ w + b
grad_suma = ((y_hat - yn[:, 0])[:, None] * Xn).sum(axis=0)  # derivada de la suma 1/2 sum (.)^2

valor = perdida.forward(neurona.forward(Xn), yn)
neurona.zero_grad()
neurona.backward(perdida.backward())
grad_numbanet = neurona.layers[0].W.grad[0]
print("NumPy (coste suma):", grad_suma)
print("numbanet:          ", grad_numbanet)
print("cociente:", grad_suma / grad_numbanet, "= N =", len(Xn))
assert np.allclose(grad_suma, len(Xn) * grad_numbanet)
# numbanet deriva la media 1/(2N) sum_i (y_hat - y)^2: su gradiente es la fórmula de la
# diapositiva, 1/N sum_i (y_hat - y) x_j. Coste suma y gradiente media no casan: factor N.

# %% [markdown]
# ## 4. Clasificación softmax
#
# Con $K$ clases, la capa de salida calcula $p_k = e^{z_k} / \sum_j e^{z_j}$: probabilidades
# que suman 1. Regiones de una regresión softmax entrenada con numbanet en un problema de tres
# clases:

# %%
fig = figura("softmax", budget="reduced")

# %% [markdown]
# ## 5. Retropropagación
#
# Para una red densa con activación $\phi$, las cuatro ecuaciones (Nielsen):
# BP1 $\delta^L = \nabla_a C \odot \phi'(z^L)$; BP2 $\delta^l = ((W^{l+1})^\top \delta^{l+1})
# \odot \phi'(z^l)$; BP3 $\partial C/\partial b^l = \delta^l$; BP4 $\partial C / \partial W^l =
# \delta^l (a^{l-1})^\top$. `numbanet.theory.backprop.trace` las escribe paso a paso para una red
# de numbanet y las compara con el motor y con diferencias finitas:

# %%
red = backprop.dense_net([2, 2, 1], activation="sigmoid", output="sigmoid", seed=0)
traza = backprop.trace(red, x=[0.05, 0.10], y=[0.01], loss="mse")
print(traza.report())
print("todo coincide:", traza.ok)

# %% [markdown]
# En el ejemplo de la diapositiva la llave bajo $\partial z^{3}/\partial a^{2}$ dice $W^{1}$,
# pero esa derivada son los pesos de la capa siguiente, $W^{2}$ (afirmación 25), y la neurona de
# salida se llama lineal aunque las ecuaciones usan la sigmoide (afirmación 26):

# %%
r = afirmacion(25)
r = afirmacion(26)

# %% [markdown]
# **Ejercicio 4.** Para la red `red` y el ejemplo de arriba, calcula a mano con NumPy (usando
# `traza.layers[-1].z` y `traza.layers[-1].a`) el error de la capa de salida
# $\delta^L = (a^L - y)\,\sigma'(z^L)$ para el coste $\frac12(a^L - y)^2$, y compáralo con
# `traza.layers[-1].delta`. Después, calcula $\delta$ de la capa oculta con BP2.

# %% tags=["solution"]
salida, oculta = traza.layers[-1], traza.layers[-2]


def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


delta_L = (salida.a - 0.01) * sigma(salida.z) * (1 - sigma(salida.z))
W2 = red.layers[2].W.value  # los pesos que llevan de la capa oculta a la salida
delta_oculta = (delta_L @ W2) * sigma(oculta.z) * (1 - sigma(oculta.z))
print("delta^L:", delta_L, "| traza:", salida.delta)
print("delta oculta:", delta_oculta, "| traza:", oculta.delta)
assert np.allclose(delta_L, salida.delta) and np.allclose(delta_oculta, oculta.delta)

# %% [markdown]
# ## 6. La tasa de aprendizaje
#
# El descenso por gradiente $\mathbf w \leftarrow \mathbf w - \alpha \nabla E$ depende de $\alpha$:
# demasiado pequeña avanza despacio, demasiado grande oscila o diverge. En un problema convexo el
# límite es $\alpha < 2/\lambda_{\max}$:

# %%
fig = figura("lr-sensitivity", budget="reduced")

# %% [markdown]
# ## 7. Representaciones ocultas
#
# Dos unidades ocultas sigmoide transforman datos que ninguna recta separa en un espacio
# $(u_1, u_2)$ donde una recta (casi) los separa:

# %%
fig = figura("hidden-space", budget="reduced")

# %% [markdown]
# ## Resumen
#
# * El perceptrón aprende AND, OR, NOR y NOT, y nunca XOR: no es linealmente separable.
# * Una capa oculta resuelve XOR: transforma el espacio hasta hacerlo separable.
# * El gradiente del ECM (neurona lineal) y el de la entropía cruzada (sigmoide) tienen la misma
#   forma; la diapositiva mezcla coste suma y gradiente media.
# * La retropropagación son cuatro ecuaciones; `backprop.trace` las comprueba paso a paso.
#
# Desde la terminal: `numbanet figures logic-gates xor-mlp --lang es`, `numbanet claims --fast`.
