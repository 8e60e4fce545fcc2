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
# `solution`). La versión del alumno, `notebooks/003_entrenamiento_cnn_rnn.ipynb`, se genera a
# partir de este fichero con `python notebooks/build.py`: no la edites a mano.

# %% [markdown]
# # Redes neuronales: entrenamiento, regularización, CNN y RNN
#
# Cuaderno de la presentación **003** (Taller de Procesamiento de Señales): el compromiso sesgo /
# varianza, el gradiente descendente estocástico y su bola de ruido, los optimizadores, la
# inicialización, la regularización, las redes convolucionales y las recurrentes. Las figuras se
# recalculan con **numbanet** y las afirmaciones se comprueban con `numbanet.claims`.
#
# Las figuras se calculan con `numbanet.plots.plot`. Las baratas llevan `budget="reduced"`: salen
# como en `numbanet figures` y en las diapositivas. Las que entrenan redes usan `PRESUPUESTO`:
# `"tiny"` (segundos: curvas cortas que solo enseñan la forma del experimento; así se ejecutan los
# cuadernos en la integración continua) o `"reduced"` (como en las diapositivas; algunas tardan
# minutos). Cambia el valor de abajo para repetirlas a tamaño real.
#
# Las figuras de MNIST leen los datos de `$NUMBANET_DATA` o de la caché de numbanet, y si no
# están los descargan (con su suma SHA-256 comprobada).

# %%
import numpy as np

import numbanet as nb
from numbanet import aula, schedules, slides
from numbanet.theory import noise_ball

aula.PRESUPUESTO = "tiny"  # "reduced": como en las diapositivas (más lento)
figura, afirmacion = aula.figura, aula.afirmacion


# %% [markdown]
# ## 1. Gradiente descendente y gradiente descendente estocástico
#
# Con muchos datos, calcular el gradiente completo en cada paso es muy pesado: el **SGD** usa un
# ejemplo (o un minilote de $B$) por paso. Trayectorias sobre una pérdida convexa en 2-D, y la
# pérdida convexa de una neurona frente a un corte no convexo de la de un perceptrón multicapa:

# %%
fig = figura("gd-vs-sgd", budget="reduced")
fig = figura("convex-vs-nonconvex", budget="reduced")

# %% [markdown]
# ### La bola de ruido
#
# Con tasa constante $\alpha$, el SGD no converge a $w^*$: se queda en una "bola" cuyo radio
# cuadrático medio está acotado por
#
# $$\limsup_{t\to\infty} E\|W_t - w^*\|^2 \le \alpha\,\frac{\sigma^2/B + \mu^2}{2c},$$
#
# con $c$ la constante de convexidad fuerte, $\sigma^2$ la varianza del gradiente de un ejemplo y
# $\mu^2$ la cota de la norma del gradiente verdadero. La bola se encoge con $\alpha$ y con $B$:
# compromiso entre bola de ruido y velocidad de convergencia (afirmación 10).

# %%
problema = noise_ball.slide_problem()  # una cuadrática en 3-D con ruido gaussiano en el gradiente
print("H =", np.diag(problema.H), "| c =", problema.c, "| sigma^2 =", problema.sigma2)
fig = figura("noise-ball", budget="reduced")
fig = figura("minibatch-noise", budget="reduced")
r = afirmacion(10)

# %% [markdown]
# **Ejercicio 1.** El problema de la figura (`problema`) tiene $c = 1$ y $\sigma^2 = 3$; en el
# óptimo $\mu^2 = 0$. Con `noise_ball.bound` calcula la cota para $\alpha = 0.05$ y
# $B = 1, 4, 16$. ¿Cómo escala con $B$? ¿Qué $\alpha$ necesitarías con $B = 1$ para tener la misma
# bola que con $B = 16$ y $\alpha = 0.05$?

# %% tags=["solution"]
cotas = {
    B: noise_ball.bound(0.05, problema.sigma2, mu2=0.0, c=problema.c, batch_size=B)
    for B in (1, 4, 16)
}
print(cotas)
assert np.isclose(cotas[1] / cotas[16], 16.0)  # con mu^2 = 0 la cota escala como 1/B
alpha = 0.05 / 16
print("alpha equivalente con B = 1:", alpha, "->", noise_ball.bound(alpha, 3.0, 0.0, 1.0))

# %% [markdown]
# ## 2. Optimizadores
#
# ### Momentum: medias móviles exponenciales
#
# $m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t$, con $m_0 = 0$. Al principio $m_t$ está sesgado
# hacia cero; la corrección $\hat m_t = m_t / (1 - \beta_1^t)$ lo arregla. Para un gradiente
# constante:

# %%
fig = figura("momentum-bias-correction", budget="reduced")
r = afirmacion(11)

# %% [markdown]
# SGD, momentum, Nesterov, Adagrad, RMSProp (con y sin corrección) y Adam, sobre una pérdida mal
# condicionada y entrenando una red en MNIST-1D:

# %%
fig = figura("optimizers")

# %% [markdown]
# La diapositiva de ADAM dice "ambos con corrección de sesgo" pero escribe la actualización con
# $m_t$ en lugar de $\hat m_t$ (afirmación 28):

# %%
r = afirmacion(28)

# %% [markdown]
# **Ejercicio 2.** Da tres pasos de Adam "a mano" con NumPy sobre un único peso $\theta_0 = 1$,
# con gradientes $g = 1, -2, 0.5$, $\alpha = 0.1$, $\beta_1 = 0.9$, $\beta_2 = 0.999$,
# $\epsilon = 10^{-8}$ y la actualización $\theta_t = \theta_{t-1} - \alpha \hat m_t / \sqrt{\hat
# v_t + \epsilon}$. Compara con `nb.optim.Adam` sobre el peso de una capa `nb.Dense(1, 1,
# bias=False)` (pon el gradiente en `p.grad[...]` y llama a `optimizador.step()`).

# %% tags=["solution"]
gradientes = [1.0, -2.0, 0.5]
theta, m, v = 1.0, 0.0, 0.0
for t, g in enumerate(gradientes, start=1):
    m = 0.9 * m + 0.1 * g
    v = 0.999 * v + 0.001 * g**2
    theta -= 0.1 * (m / (1 - 0.9**t)) / np.sqrt(v / (1 - 0.999**t) + 1e-8)

capa = nb.Dense(1, 1, bias=False)
red = nb.Sequential([capa], backend="reference", dtype=np.float64, seed=0)
capa.W.value = np.array([[1.0]])
optimizador = nb.optim.Adam(red.parameters(), lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
for g in gradientes:
    capa.W.grad[...] = g
    optimizador.step()
print("a mano:", theta, "| numbanet:", capa.W.value[0, 0])
assert np.isclose(theta, capa.W.value[0, 0])

# %% [markdown]
# ### Decaimiento de la tasa de aprendizaje
#
# Las cuatro formas de la diapositiva, por época $e$: $\alpha_0 \frac{1 + \delta}{1 + \delta e}$,
# $\alpha_0 \gamma^{e-1}$, $\alpha_0/\sqrt{e}$ y constante a trozos (`numbanet.schedules`; en
# `fit` se usan con el *callback* `nb.callbacks.LRScheduler`).

# %%
epocas = np.arange(1, 6)
print("inversa del tiempo, épocas 1-5:", schedules.inverse_time(0.1, 0.5)(epocas))
fig = figura("lr-decay", budget="reduced")

# %% [markdown]
# **Ejercicio 3.** Comprueba que `schedules.inverse_time(0.1, 0.5)` y
# `schedules.exponential(0.1, 0.9)` dan las fórmulas de arriba en las épocas 1 a 10. ¿En qué época
# la exponencial queda por debajo de la mitad de $\alpha_0$?

# %% tags=["solution"]
e = np.arange(1, 11)
assert np.allclose(schedules.inverse_time(0.1, 0.5)(e), 0.1 * 1.5 / (1 + 0.5 * e))
assert np.allclose(schedules.exponential(0.1, 0.9)(e), 0.1 * 0.9 ** (e - 1))
print("primera época con alpha < alpha_0 / 2:", e[schedules.exponential(0.1, 0.9)(e) < 0.05][0])

# %% [markdown]
# ## 3. Desvanecimiento y explosión del gradiente: la inicialización
#
# Con pesos de varianza $v$ y ReLU, $E[(z^l)^2] = \frac{d\,v}{2} E[(z^{l-1})^2]$: la
# inicialización de He ($v = 2/d$) mantiene la señal constante y la de LeCun ($v = 1/d$) la
# divide por dos en cada capa (afirmación 12). A través de 50 capas:

# %%
fig = figura("init-variance", budget="reduced")
r = afirmacion(12)

# %% [markdown]
# ## 4. Regularización
#
# Penalización L2 (*weight decay*), inyección de ruido (solo durante el entrenamiento), *dropout*
# invertido y parada temprana, cada una frente a la red sin regularizar (en MNIST con un 20 % de
# etiquetas erróneas). Con `PRESUPUESTO = "tiny"` son dos épocas en 200 imágenes y los errores no
# significan nada todavía; con `"reduced"` (unos minutos) salen como en las diapositivas.

# %%
fig = figura("regularization")

# %% [markdown]
# Con *dropout* invertido, cada unidad se conserva con probabilidad $p$ y se divide por $p$ en
# el entrenamiento, de modo que en la prueba no hay que escalar nada: en media, la salida de
# entrenamiento es la de prueba (afirmación 19). Ojo: `nb.Dropout(q)` recibe la probabilidad de
# **anular**, $q = 1 - p$, como PyTorch y Keras.

# %%
r = afirmacion(19)

# %% [markdown]
# **Ejercicio 4.** Pasa un vector de unos por una capa `nb.Dropout(0.5)` (en un `nb.Sequential`)
# 2000 veces en modo entrenamiento (`red.forward(x, training=True)`) y una vez en modo prueba
# (`red.predict(x)`). ¿Qué fracción de unidades se anula? ¿Cuánto vale la media de las salidas de
# entrenamiento?

# %% tags=["solution"]
red = nb.Sequential(
    [nb.Dropout(0.5, seed=0)], backend="reference", dtype=np.float64, seed=0, input_shape=(100,)
)
x = np.ones((1, 100))
salidas = np.array([red.forward(x, training=True)[0] for _ in range(2000)])
print("fracción anulada:", (salidas == 0).mean())
print("media en entrenamiento:", salidas.mean(), "| prueba:", red.predict(x).mean())
assert abs(salidas.mean() - red.predict(x).mean()) < 0.02

# %% [markdown]
# ### Compromiso sesgo / varianza y sobreparametrización
#
# El aprendizaje clásico dibuja una U: el error de validación baja y luego sube con la capacidad.
# Con redes sobreparametrizadas aparece el **doble descenso** (Nakkiran et al., 2019): pasado el
# umbral de interpolación, el error vuelve a bajar.

# %%
fig = figura("bias-variance")

# %% [markdown]
# ## 5. Redes convolucionales
#
# La "convolución" de las redes es una correlación cruzada:
# $(x \star w)_{ij} = \sum_{u,v} x_{i+u, j+v} w_{uv}$, con
# $\dim(\text{salida}) = \lfloor(\dim(x) + 2p - \dim(w))/s\rfloor + 1$. El ejemplo de la
# diapositiva (entrada 6x6, filtro de bordes verticales) con `nb.Conv2D`:

# %%
print(np.array(slides.CONV_INPUT), "\n*\n", np.array(slides.CONV_FILTER))
fig = figura("conv-example", budget="reduced")
r = afirmacion(15)

# %% [markdown]
# **Ejercicio 5.** Con la entrada `slides.CONV_INPUT` y el filtro `slides.CONV_FILTER`, crea
# capas `nb.Conv2D(1, 1, 3, stride=s, padding=p)` para `p` en `"valid"`, `"same"`, `"full"` y
# $s = 1, 2$, pon el filtro en `capa.W.value` (forma `(1, 1, 3, 3)`) y el sesgo a cero, y
# comprueba que el tamaño de cada salida sigue la fórmula. La entrada tiene forma
# `(1, 1, 6, 6)` (NCHW).

# %% tags=["solution"]
entrada = np.array(slides.CONV_INPUT, dtype=np.float64)[None, None]
relleno = {"valid": 0, "same": 1, "full": 2}  # same = (3 - 1) / 2, full = 3 - 1
for p, pad in relleno.items():
    for s in (1, 2):
        capa = nb.Conv2D(1, 1, 3, stride=s, padding=p)
        red = nb.Sequential([capa], backend="reference", dtype=np.float64, input_shape=(1, 6, 6))
        capa.W.value = np.array(slides.CONV_FILTER, dtype=np.float64)[None, None]
        capa.b.value = np.zeros(1)
        salida = red.predict(entrada)[0, 0]
        esperado = (6 + 2 * pad - 3) // s + 1
        assert salida.shape == (esperado, esperado)
        print(f"padding {p:5s} stride {s}: {salida.shape}")
        if p == "valid" and s == 1:
            assert (salida == np.array(slides.CONV_VALID)).all()

# %% [markdown]
# *Pooling* máximo, medio y global (sin parámetros), y la cuenta de pesos de un mapa de
# características con campo receptivo 5x5: $5 \cdot 5 + 1 = 26$ (afirmación 18):

# %%
fig = figura("pooling", budget="reduced")
r = afirmacion(18)

# %% [markdown]
# ### LeNet
#
# La LeNet de Keras de la diapositiva es `nb.models.lenet()`; `summary()` imprime la tabla de
# `model.summary()`. La diapositiva "Ej. Lenet" muestra una primera tabla que no corresponde a
# esta red (afirmación 27); la segunda sí (afirmación 16).

# %%
lenet = nb.models.lenet(backend="cpu", seed=0)
tabla = lenet.summary()
r = afirmacion(16)
r = afirmacion(27)

# %% [markdown]
# Entrenada en MNIST: curva de entrenamiento, filtros aprendidos y mapas de características (con
# `"tiny"`, unos cientos de imágenes):

# %%
fig = figura("lenet")

# %% [markdown]
# ## 6. Redes recurrentes
#
# Una RNN simple frente a una LSTM en una tarea con una dependencia larga (recordar el primer
# símbolo tras 49 pasos ruidosos), junto a la norma del gradiente a través del tiempo en esa misma
# tarea: el de la RNN se desvanece, la celda de la LSTM lo conserva. Con `PRESUPUESTO = "tiny"` se
# entrena una sola época: solo el panel del gradiente (calculado al inicializar) es el de las
# diapositivas.

# %%
fig = figura("rnn-lstm")

# %% [markdown]
# La inicialización ortogonal de los pesos recurrentes: una matriz ortogonal conserva la norma,
# $\|W h\| = \|h\|$ (afirmación 13), por eso no explota ni se desvanece al multiplicar muchas
# veces. Con pasos vacíos (sin ruido) la RNN con $W_{hh}$ ortogonal lleva el gradiente 149 pasos
# atrás y aprende a recordar; con $W_{hh}$ aleatoria se desvanece. Ambos paneles son de la misma
# tarea.

# %%
fig = figura("rnn-orthogonal")
r = afirmacion(13)

# %% [markdown]
# Una RNN bidireccional etiqueta cada instante de una señal: la clase de un latido solo se ve en
# su segunda mitad, así que en su inicio solo la red que lee también hacia atrás la conoce.

# %%
fig = figura("birnn-labelling")

# %% [markdown]
# ## Resumen
#
# * El SGD con $\alpha$ constante acaba en una bola de ruido de radio $\propto \alpha(\sigma^2/B
#   + \mu^2)$: bajar $\alpha$ o subir $B$ la encoge.
# * Momentum, RMSProp y Adam son medias móviles exponenciales, con corrección de sesgo.
# * He mantiene la varianza de la señal en redes ReLU; LeCun la divide por dos en cada capa.
# * Conv2D, pooling y LeNet reproducen las tablas de la diapositiva (y señalan sus erratas).
#
# Desde la terminal: `numbanet figures noise-ball optimizers lenet --lang es`.
