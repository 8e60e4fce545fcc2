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
#     generated_from: profesor/004_gradiente_desvaneciente.py
#     version: alumno
# ---

# %% [markdown]
# # Introducción a *deep learning*: el gradiente que se desvanece y el pre-entrenamiento
#
# Cuaderno de la presentación **004** (redes de neuronas artificiales): redes con una capa oculta
# y su representación interna, por qué añadir capas, el problema del *vanishing gradient* (las
# velocidades de aprendizaje de Nielsen, cap. 5) y el pre-entrenamiento no supervisado capa a
# capa (autocodificadores apilados y RBM). Las figuras se recalculan con **numbanet** y las
# afirmaciones se comprueban con `numbanet.claims`.
#
# Las figuras se calculan con `numbanet.plots.plot`. Las baratas llevan `budget="reduced"`: salen
# como en `numbanet figures` y en las diapositivas. Las que entrenan redes usan `PRESUPUESTO`:
# `"tiny"` (segundos: curvas cortas que solo enseñan la forma del experimento; así se ejecutan los
# cuadernos en la integración continua) o `"reduced"` (como en las diapositivas; algunas tardan
# minutos). Cambia el valor de abajo para repetirlas a tamaño real.
#
# Las figuras de MNIST y SEMEION leen los datos de `$NUMBANET_DATA` o de la caché de numbanet, y si no
# están los descargan (con su suma SHA-256 comprobada).

# %%
import numpy as np

import numbanet as nb
from numbanet import aula, slides
from numbanet.theory import gradient_speed
from numbanet.theory import regions as R

aula.PRESUPUESTO = "tiny"  # "reduced": como en las diapositivas (más lento)
figura, afirmacion = aula.figura, aula.afirmacion


# %% [markdown]
# ## 1. Redes de neuronas con una capa oculta
#
# Cada unidad oculta sigmoide $u_k = S(x_1 w_{1k} + x_2 w_{2k} + w_{0k})$ es una recta del plano
# de entrada ($x \cdot w + w_0 = 0$) suavizada; la capa de salida combina las $u_k$. Así, datos
# que ninguna recta separa en $(x_1, x_2)$ pasan a ser (casi) separables en el espacio oculto
# $(u_1, u_2)$:

# %%
fig = figura("hidden-space", budget="reduced")

# %% [markdown]
# ### Dígitos SEMEION
#
# 1593 dígitos manuscritos de 16x16 píxeles en blanco y negro (256 entradas). Con solo dos
# neuronas ocultas, la representación interna de la red 256-2-10 ya agrupa los dígitos (cada
# color, un dígito):

# %%
fig = figura("semeion-2d", budget="reduced")

# %% [markdown]
# La diapositiva cuenta los pesos de un clasificador de letras de 16x16 con 100 neuronas ocultas y
# 26 salidas como $256 \cdot (100 + 1)$ y $100 \cdot (26 + 1)$. Pero cada neurona tiene un sesgo:
# son $(256 + 1) \cdot 100$ y $(100 + 1) \cdot 26$ (afirmación 17).

# %%
print("parámetros de 256-100-26:", R.parameter_count([256, 100, 26]))
r = afirmacion(17)

# %% [markdown]
# **Ejercicio 1.** Construye la red 256-100-26 con `nb.models.mlp` y cuenta los parámetros de
# cada capa `Dense` (pesos `W` y sesgos `b`). Comprueba el total con `R.parameter_count` y con
# la fórmula correcta. ¿Cuántos parámetros "faltan" en la cuenta de la diapositiva?

# %% tags=["exercise"]
# Ejercicio: escribe aquí tu solución.

# %% [markdown]
# ## 2. El problema del *vanishing gradient*
#
# Con la regla de la cadena, el gradiente de un peso de la primera capa es un producto de
# derivadas de la sigmoide, $S'(x) = S(x)(1 - S(x))$, cuyo máximo es $0.25$: multiplicar muchas
# veces números menores que uno da valores muy pequeños (afirmación 7). La ReLU tiene derivada 1
# donde está activa:

# %%
fig = figura("sigmoid-vs-relu", budget="reduced")
r = afirmacion(7)

# %% [markdown]
# **Ejercicio 2.** Una cadena de $L$ unidades sigmoide de un solo peso $w = 1$ y sesgo 0:
# $a_l = S(a_{l-1})$, con $a_0 = x$. Calcula con NumPy $\partial a_L / \partial x = \prod_l
# S'(z_l)$ para $x = 0$ y $L = 1, \dots, 10$, y compáralo con la cota $0.25^L$. Después
# construye la misma cadena con `nb.Dense(1, 1)` y `nb.Sigmoid()` y obtén la derivada con
# `red.backward`.


# %% tags=["exercise"]
# Ejercicio: escribe aquí tu solución.

# %% [markdown]
# ## 3. Velocidades de aprendizaje (Nielsen, cap. 5)
#
# La velocidad de aprendizaje de la capa $l$ es la norma del gradiente respecto de sus sesgos,
# $\|\partial C / \partial b^l\|$, en media sobre 1000 imágenes de MNIST, al inicializar (pesos
# $N(0, 1/n_{in})$, sesgos $N(0, 1)$, entropía cruzada). Con 4 capas ocultas: 0.003, 0.017,
# 0.070, 0.285: la primera aprende unas 100 veces más despacio que la cuarta (afirmación 8).

# %%
fig = figura("gradient-speed-bars", budget="reduced")
r = afirmacion(8)

# %% [markdown]
# Y durante el entrenamiento (descenso por gradiente con los 1000 ejemplos, $\eta = 0.1$,
# $\lambda = 5$), las primeras capas siguen rezagadas:

# %%
fig = figura("speed-of-learning")

# %% [markdown]
# **Ejercicio 3.** Repite la medida con **MNIST-1D** (sin descargas): señales de 40 muestras y 10
# clases (`nb.data.load_mnist1d`). Abajo, las velocidades de la red 40-30-30-10 en 1000
# ejemplos, para una semilla. Repite la medida con 3 y 4 capas ocultas de 30 y tres semillas
# (`seeds=(0, 1, 2)`, promediando). ¿Cuántas veces más despacio aprende la primera capa que la
# última en cada caso?

# %%
datos = nb.data.load_mnist1d(n_samples=1250)
x, y = datos.x_train[:1000].astype(np.float64), datos.y_train[:1000]
print("40-30-30-10:", gradient_speed.initial_speeds([40, 30, 30, 10], x, y, seeds=(0,))[0])

# %% tags=["exercise"]
# Ejercicio: escribe aquí tu solución.

# %% [markdown]
# ### Precisión frente a profundidad
#
# En MNIST (784 entradas, 10 salidas, capas ocultas de 30 neuronas), la diapositiva da 96.48 %
# con una capa, 96.90 % con dos, 96.57 % con tres y 96.53 % con cuatro: más capas no ayudan. La
# afirmación 9 entrena las cuatro redes 30 épocas (minutos); aquí solo la mostramos, y la figura
# con el presupuesto pequeño:

# %%
print("diapositiva:", slides.DEPTH_ACCURACY)
r = afirmacion(9, fast=True)  # `numbanet claims` sin --fast la calcula
fig = figura("depth-accuracy")

# %% [markdown]
# ## 4. Pre-entrenamiento no supervisado capa a capa
#
# Para que las primeras capas aprendan: entrena la primera capa de manera no supervisada (datos
# sin etiqueta, p. ej. como autocodificador), "congélala" y entrena la segunda igual sobre sus
# códigos; repite; entrena la última capa de manera supervisada; "descongela" todo y haz un ajuste
# fino con retropropagación. Con autocodificadores apilados o con RBM (una DBN), frente a la
# inicialización aleatoria:

# %%
fig = figura("layerwise-pretraining")

# %% [markdown]
# Una RBM entrenada con divergencia contrastiva (CD-$k$): error de reconstrucción por época y
# filtros aprendidos:

# %%
fig = figura("rbm")

# %% [markdown]
# **Ejercicio 4.** Entrena un autocodificador `nb.unsupervised.Autoencoder(40, 8)` sobre las
# señales de MNIST-1D (`datos.x_train`, sin usar las etiquetas) y compara el error de
# reconstrucción (`reconstruction_error`) antes y después de 30 épocas. Su decodificador acaba en
# una sigmoide: reescala antes las señales a $[0, 1]$. (Mira `help(nb.unsupervised.Autoencoder)`.)

# %% tags=["exercise"]
# Ejercicio: escribe aquí tu solución.

# %% [markdown]
# ## 5. LeNet-5: pesos compartidos
#
# En una red convolucional cada filtro se aplica en todas las posiciones: muchas conexiones y
# pocos pesos distintos. La diapositiva da 187 000 conexiones y 14 000 pesos para LeNet-5; el
# artículo de LeCun et al. (1998) cuenta 340 908 conexiones y 60 000 parámetros
# (afirmación 29, calculada sobre `nb.models.lenet5()`):

# %%
r = afirmacion(29)

# %% [markdown]
# ## Resumen
#
# * Una capa oculta transforma el espacio para que las clases sean separables; con 256 entradas
#   y dos neuronas ocultas ya se ven los dígitos agrupados.
# * Con sigmoides, cada capa multiplica el gradiente por $S' \le 1/4$: las primeras capas
#   aprenden mucho más despacio (100 veces con cuatro capas).
# * El pre-entrenamiento no supervisado capa a capa fue la primera solución; luego llegaron ReLU,
#   buenas inicializaciones, normalización y conexiones residuales.
#
# Desde la terminal: `numbanet figures gradient-speed-bars speed-of-learning --lang es`,
# `numbanet claims 7 8 17`. El código del libro de Nielsen (cap. 1-3), en Python 3 y sobre los
# núcleos de numbanet: `numbanet.compat.nielsen` (`docs/nielsen.md`).
