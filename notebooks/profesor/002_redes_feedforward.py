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
# `solution`). La versión del alumno, `notebooks/002_redes_feedforward.ipynb`, se genera a partir
# de este fichero con `python notebooks/build.py`: no la edites a mano.

# %% [markdown]
# # Redes neuronales *feed forward*
#
# Cuaderno de la presentación **002** (lección 03): softmax, funciones de activación, capas
# ocultas lineales, el perceptrón multicapa de PyTorch escrito con numbanet, el teorema de
# aproximación universal y las regiones lineales de Montúfar et al. Las figuras se recalculan con
# **numbanet** y las afirmaciones se comprueban con `numbanet.claims`.
#
# Las figuras se calculan con `numbanet.plots.plot`. Las baratas llevan `budget="reduced"`: salen
# como en `numbanet figures` y en las diapositivas. Las que entrenan redes usan `PRESUPUESTO`:
# `"tiny"` (segundos: curvas cortas que solo enseñan la forma del experimento; así se ejecutan los
# cuadernos en la integración continua) o `"reduced"` (como en las diapositivas; algunas tardan
# minutos). Cambia el valor de abajo para repetirlas a tamaño real.

# %%
import numpy as np

import numbanet as nb
import numbanet.nn.functional as F
from numbanet import aula

aula.PRESUPUESTO = "tiny"  # "reduced": como en las diapositivas (más lento)
figura, afirmacion = aula.figura, aula.afirmacion


def aplicar(capa, z):
    """La salida de una capa de activación y su derivada en los puntos ``z``, calculadas por el
    paso hacia delante y hacia atrás de la propia capa (backward de un vector de unos)."""
    red = nb.Sequential([capa], backend="reference", dtype=np.float64, input_shape=(len(z),))
    f = red.forward(z[None, :], training=True)[0]
    df = red.backward(np.ones((1, len(z))))[0]
    return f, df


# %% [markdown]
# ## 1. Softmax
#
# Para $K$ clases, $p_k = e^{z_k} / \sum_{j} e^{z_j}$: probabilidades positivas que suman 1, y la
# clase predicha es la de mayor $z_k$. Una regresión softmax entrenada por numbanet en un problema
# de tres clases:

# %%
fig = figura("softmax", budget="reduced")

# %% [markdown]
# **Ejercicio 1.** Escribe la softmax con NumPy para una matriz de *logits* (una fila por ejemplo)
# y compárala con la capa `nb.Softmax()` (usa `aplicar` de arriba o un `nb.Sequential`). Pruébala
# con $z = (1000, 1001, 1002)$: ¿por qué hay que restar el máximo de cada fila antes de
# exponenciar?


# %% tags=["solution"]
def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))  # sin restar el máximo, exp(1000) = inf
    return e / e.sum(axis=1, keepdims=True)


z = np.array([[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0]])
capa = nb.Sequential([nb.Softmax()], backend="reference", dtype=np.float64, input_shape=(3,))
print(softmax(z))
assert np.allclose(softmax(z), capa.predict(z)) and np.allclose(softmax(z).sum(axis=1), 1.0)
# Las dos filas dan lo mismo: la softmax no cambia si se suma una constante a todos los z_k, y
# restar el máximo evita el desbordamiento de exp.

# %% [markdown]
# ## 2. Funciones de activación
#
# Sigmoide, tangente hiperbólica, ReLU, Leaky ReLU, PReLU, ELU y otras, con sus derivadas. Cada
# curva sale del paso hacia delante y hacia atrás de la capa de numbanet correspondiente:

# %%
fig = figura("activations", budget="reduced")

# %% [markdown]
# Algunas ventajas de la tangente hiperbólica frente a la sigmoide: está centrada en cero y su
# derivada en 0 vale 1 (la de la sigmoide, 1/4). De hecho $\tanh z = 2\sigma(2z) - 1$.
#
# **Ejercicio 2.** Comprueba con las capas `nb.Tanh()` y `nb.Sigmoid()` (función `aplicar`) que
# $\tanh z = 2\sigma(2z) - 1$ y que $\sigma'(z) = \sigma(z)(1 - \sigma(z))$ en
# $z \in [-5, 5]$. ¿Dónde alcanza $\sigma'$ su máximo y cuánto vale?

# %% tags=["solution"]
z = np.linspace(-5, 5, 101)
tanh, _ = aplicar(nb.Tanh(), z)
sigma_2z, _ = aplicar(nb.Sigmoid(), 2 * z)
sigma, dsigma = aplicar(nb.Sigmoid(), z)
assert np.allclose(tanh, 2 * sigma_2z - 1)
assert np.allclose(dsigma, sigma * (1 - sigma))
print(f"máximo de sigma': {dsigma.max():.4f} en z = {z[dsigma.argmax()]:.1f}")

# %% [markdown]
# ## 3. Capas ocultas con activación lineal
#
# Si las capas ocultas son lineales, la red entera es **una sola función afín**:
# $W_3(W_2(W_1 x + b_1) + b_2) + b_3 = W x + b$. Por muchas capas que tenga, ajusta lo mismo que
# una regresión lineal (afirmación 20):

# %%
fig = figura("linear-hidden-collapse", budget="reduced")
r = afirmacion(20)

# %% [markdown]
# **Ejercicio 3.** Construye una red 2-5-5-1 con capas `nb.Dense` y sin activaciones, calcula
# la matriz $W = W_3 W_2 W_1$ y el sesgo $b$ equivalentes, y comprueba que `red.predict(x)` es
# `x @ W.T + b` para puntos al azar.

# %% tags=["solution"]
red = nb.Sequential(
    [nb.Dense(2, 5), nb.Dense(5, 5), nb.Dense(5, 1)], backend="reference", dtype=np.float64, seed=0
)
W, b = np.eye(2), np.zeros(2)
for capa in red.layers:
    W, b = capa.W.value @ W, capa.W.value @ b + capa.b.value
x = np.random.default_rng(0).normal(size=(10, 2))
assert np.allclose(red.predict(x), x @ W.T + b)
print("W =", W, " b =", b)

# %% [markdown]
# ## 4. El perceptrón multicapa de PyTorch, en numbanet
#
# La diapositiva escribe la red como una clase de PyTorch con su propio `forward`, que devuelve
# los *logits* y las log-probabilidades. `nb.Model` permite escribir lo mismo; no hay autograd:
# numbanet anota las capas que llama `forward` y las recorre al revés en `backward`
# (más en `docs/from-pytorch-and-keras.md`).

# %%
num_hidden_1, num_hidden_2 = 64, 32


class MultilayerPerceptron(nb.Model):
    def __init__(self, num_features, num_classes, seed=None):
        super().__init__(seed=seed, backend="cpu")
        ### 1st hidden layer
        self.linear_1 = nb.Dense(num_features, num_hidden_1)
        ### 2nd hidden layer
        self.linear_2 = nb.Dense(num_hidden_1, num_hidden_2)
        ### Output layer
        self.linear_out = nb.Dense(num_hidden_2, num_classes)

    def forward(self, x):
        out = self.linear_1(x)
        out = F.relu(out)
        out = self.linear_2(out)
        out = F.relu(out)
        logits = self.linear_out(out)
        probas = F.log_softmax(logits, dim=1)
        return logits, probas


datos = nb.data.load_mnist1d(n_samples=2000)
modelo = MultilayerPerceptron(num_features=40, num_classes=10, seed=0)
historia = modelo.fit(
    datos.x_train, datos.y_train, loss="cross_entropy", optimizer="adam", lr=1e-3, epochs=10
)
logits, probas = modelo(datos.x_test[:3])
print("log-probabilidades de 3 ejemplos:\n", np.round(probas, 2))
print("precisión de prueba:", modelo.evaluate(datos.x_test, datos.y_test)["accuracy"])

# %% [markdown]
# La segunda versión de la diapositiva usa `torch.nn.Sequential`; en numbanet es
# `nb.Sequential` (o `nb.models.mlp`, que construye la misma lista de capas):

# %%
secuencial = nb.Sequential(
    [
        nb.Dense(40, num_hidden_1),
        nb.ReLU(),
        nb.Dense(num_hidden_1, num_hidden_2),
        nb.ReLU(),
        nb.Dense(num_hidden_2, 10),
    ],
    backend="cpu",
    seed=0,
)
tabla = secuencial.summary()

# %% [markdown]
# **Ejercicio 4.** Entrena `secuencial` con los mismos datos, pérdida y optimizador que `modelo`
# y compara las precisiones de prueba. Después comprueba que la red de `nb.models.mlp([40,
# num_hidden_1, num_hidden_2, 10], "relu")` tiene el mismo número de parámetros.

# %% tags=["solution"]
secuencial.fit(
    datos.x_train, datos.y_train, loss="cross_entropy", optimizer="adam", lr=1e-3, epochs=10
)
print("Sequential:", secuencial.evaluate(datos.x_test, datos.y_test)["accuracy"])
print("Model:     ", modelo.evaluate(datos.x_test, datos.y_test)["accuracy"])
mlp = nb.models.mlp([40, num_hidden_1, num_hidden_2, 10], "relu", backend="cpu", seed=0)


def n_parametros(red):
    return sum(p.value.size for p in red.parameters())


assert n_parametros(mlp) == n_parametros(secuencial) == n_parametros(modelo)
print("parámetros:", n_parametros(mlp))

# %% [markdown]
# ## 5. Teorema de aproximación universal
#
# Una red con **una** capa oculta y suficientes unidades aproxima cualquier función continua en un
# compacto tanto como se quiera. La figura ajusta $\sin(2\pi x)$ con cada vez más unidades
# sigmoide, clasifica una espiral y entrena un autocodificador pequeño:

# %%
fig = figura("universal-approximation")

# %% [markdown]
# **Ejercicio 5.** Ajusta $y = \sin(2\pi x)$ en 200 puntos de $[-1, 1]$ con redes 1-$H$-1 tanh
# para $H = 2, 8, 32$ (`nb.models.mlp` con `init="he_normal"`; gradiente por lotes completos
# con Adam, `lr=0.02`, 1500 épocas, `loss="mse"`). ¿Cómo baja el error cuadrático con $H$?

# %% tags=["solution"]
x = np.linspace(-1, 1, 200)[:, None]
y = np.sin(2 * np.pi * x)
errores = {}
for H in (2, 8, 32):
    red = nb.models.mlp([1, H, 1], "tanh", init="he_normal", backend="cpu", seed=0)
    red.fit(x, y, loss="mse", optimizer="adam", lr=0.02, epochs=1500, batch_size=200)
    errores[H] = red.evaluate(x, y, loss="mse")["loss"]
    print(f"H = {H:2d}: error {errores[H]:.5f}")
assert max(errores[8], errores[32]) < errores[2] / 100
# Con 2 unidades la red solo dibuja una "S": no puede seguir los dos periodos del seno. Con 8 o
# 32 el error cae más de cien veces; entre 8 y 32 ya no manda la capacidad sino la optimización
# (1500 épocas de Adam): cuál de las dos queda por debajo depende del redondeo y de la semilla.

# %% [markdown]
# ## 6. Anchas frente a profundas: regiones lineales (Montúfar et al., 2014)
#
# Cada capa ReLU puede "plegar" el espacio de entrada, de modo que la última capa repite sus
# regiones en cada pliegue: el número de regiones crece exponencialmente con la profundidad.
# Particiones exactas del cuadrado $[-1, 1]^2$ con 0 a 3 pliegues:

# %%
fig = figura("space-folding-2d", budget="reduced")

# %% [markdown]
# ## Resumen
#
# * Softmax convierte *logits* en probabilidades; hay que restar el máximo para calcularla.
# * Sin activaciones no lineales, la red es afín: las capas ocultas no sirven de nada.
# * La clase de PyTorch de la diapositiva se escribe igual con `nb.Model`; `nb.Sequential` y
#   `nb.models.mlp` son la versión en lista.
# * Una capa oculta basta para aproximar (teorema universal), pero la profundidad multiplica las
#   regiones lineales.
#
# Desde la terminal: `numbanet figures softmax activations space-folding-2d --lang es`.
