"""Every figure of the lectures, by id: where it is computed and drawn.

Each figure is a pair of functions in a module of this package,

* ``compute_<name>(seed=0, backend="cpu", budget="reduced") -> dict``: runs the experiment
  (``numbanet.experiments``) or theory code (seeded) and returns plain data (arrays and numbers);
* ``draw_<name>(data, lang="en") -> matplotlib.figure.Figure``: draws, computes nothing,

where ``<name>`` is the id with dashes turned into underscores. ``budget="full"`` runs the
original budget of slow reproductions, ``budget="tiny"`` (the tests, and the notebooks'
default through ``numbanet.aula``) a few seconds' worth. The modules are named by topic and hold the figures of one section of SLIDES.md each:
``composition``, ``regions``, ``capacity``, ``trainability`` (depth, linear regions and training
deep nets); ``perceptron``, ``hidden``,
``shallow``, ``activations``, ``graph`` (neurons and backprop); ``descent`` (gradient descent);
``practice`` (data augmentation, the batch size); ``depth``,
``unsupervised`` (the vanishing gradient); ``regularization``; ``convolution``, ``recurrent``; ``approximation`` (what one hidden layer can approximate and at what width), ``landscape`` (saddle points, exploding gradients); ``training_dynamics`` (dead ReLUs,
sharpness against the minibatch), ``invariance`` (translation, the feature hierarchy),
``autoencoding`` (the SEMEION autoencoder, pre-training with few labels). The catalog below is the single list of ids, so
``numbanet figures --list`` shows every figure even when a module fails to import (that figure then
reports an error when rendered, and the rest still render).

Size: over 600 lines on purpose: one entry per figure (62), each with its slide and description
in English and in Spanish, so that the whole list reads in one place.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class FigureInfo:
    id: str
    module: str
    slide: str
    description: str
    needs: tuple = ()
    slow: bool = False
    #: the slide and the description in Spanish (``figures/es``): the decks' own words
    slide_es: str = ""
    description_es: str = ""

    @property
    def func_name(self):
        return self.id.replace("-", "_")


def _f(id, module, slide, description, needs=(), slow=False, slide_es="", description_es=""):
    return FigureInfo(id, module, slide, description, tuple(needs), slow, slide_es, description_es)


CATALOG = [
    # depth, composition and linear regions (UDL, FF)
    _f(
        "compose-1d",
        "composition",
        "UDL: composing networks",
        "Two 1-3-1 ReLU nets and their composition on [-1, 1]: 3, 4 and 12 linear pieces, counted exactly.",
        slide_es="UDL: composición de redes",
        description_es=(
            "Dos redes ReLU 1-3-1 y su composición en [-1, 1]: 3, 4 y 12 tramos "
            "lineales, contados exactamente."
        ),
    ),
    _f(
        "folding",
        "composition",
        "UDL: folding analogy",
        "net1 folds [-1, 1] onto itself; net1(net1(x)) has 9 pieces and net2(net1(net1(x))) 36.",
        slide_es="UDL: la analogía del plegado",
        description_es=(
            "net1 pliega [-1, 1] sobre sí mismo; net1(net1(x)) tiene 9 tramos y "
            "net2(net1(net1(x))) 36."
        ),
    ),
    _f(
        "compose-vs-shallow",
        "composition",
        "UDL: deep vs shallow",
        "The 12-piece composition beside the best a shallow 6-unit net can do (at most 7 pieces).",
        slide_es="UDL: profunda frente a superficial",
        description_es=(
            "La composición de 12 tramos junto a lo mejor que logra una red "
            "superficial de 6 unidades (como mucho 7 tramos)."
        ),
    ),
    _f(
        "compose-2d",
        "composition",
        "UDL: composition in 2-D",
        "A 2-input shallow net feeding net2: output maps with the exact linear-region boundaries.",
        slide_es="UDL: composición en 2-D",
        description_es=(
            "Una red superficial de 2 entradas que alimenta a net2: mapas de salida "
            "con las fronteras exactas de las regiones lineales."
        ),
    ),
    _f(
        "deep-as-clipping",
        "composition",
        "UDL: deep nets as clipping",
        "A 1-3-3-1 ReLU net on [0, 1): layer-2 pre-activations, clipped, weighted, then the output.",
        slide_es="UDL: redes profundas como recorte",
        description_es=(
            "Una red ReLU 1-3-3-1 en [0, 1): preactivaciones de la capa 2, "
            "recortadas, ponderadas, y después la salida."
        ),
    ),
    _f(
        "depth-efficiency",
        "approximation",
        "UDL: depth efficiency",
        "The k-fold sawtooth: exact with 2k units in k layers; one layer needs 2^k (exact) and at "
        "least 2^(k-1) for any error below 1/2; least-squares fits, pieces counted exactly.",
        slide_es="UDL: eficiencia de la profundidad",
        description_es=(
            "El diente de sierra de k pliegues: exacto con 2k unidades en k capas; "
            "una sola capa necesita 2^k (exacto) y al menos 2^(k-1) para cualquier error por "
            "debajo de 1/2; ajustes por mínimos cuadrados, tramos contados exactamente."
        ),
    ),
    _f(
        "regions-per-parameter",
        "regions",
        "UDL: regions vs parameters",
        "Maximum number of linear regions against parameters, shallow vs deep, for 1 and 10 inputs.",
        slide_es="UDL: regiones frente a parámetros",
        description_es=(
            "Número máximo de regiones lineales frente a parámetros, superficial "
            "frente a profunda, para 1 y 10 entradas."
        ),
    ),
    _f(
        "regions-depth-width",
        "regions",
        "UDL / FF: depth vs width",
        "Exact region counts of random and trained ReLU nets against depth and width, beside the bounds.",
        slide_es="UDL / FF: profundidad frente a anchura",
        description_es=(
            "Número exacto de regiones de redes ReLU aleatorias y entrenadas frente "
            "a la profundidad y la anchura, junto a las cotas."
        ),
    ),
    _f(
        "space-folding-2d",
        "regions",
        "FF: Montufar et al. 2014",
        "The exact partition of a 2-D square by a deep ReLU net, regions coloured: symmetric folds.",
        slide_es="FF: Montufar et al. 2014",
        description_es=(
            "La partición exacta de un cuadrado 2-D por una red ReLU profunda, con "
            "las regiones coloreadas: pliegues simétricos."
        ),
    ),
    _f(
        "wide-vs-deep",
        "capacity",
        "UDL / DL: wide vs deep",
        "Test accuracy against parameter count for shallow and deep MLPs on MNIST-1D, and for "
        "Conv1D nets of 3 and 11 layers at matched parameters (Goodfellow et al.'s 11 vs. 3).",
        slide_es="UDL / DL: Arquitecturas Anchas vs Profundas",
        description_es=(
            "Exactitud en test frente al número de parámetros de MLP superficiales "
            "y profundos en MNIST-1D, y de redes Conv1D de 3 y 11 capas con los mismos parámetros "
            "(las 11 frente a 3 de Goodfellow et al.)."
        ),
    ),
    _f(
        "mnist1d-random-labels",
        "capacity",
        "UDL fig. 20.2",
        "Fitting random labels on MNIST-1D: training error against epoch for 1-4 hidden layers.",
        slow=True,
        slide_es="UDL fig. 20.2",
        description_es=(
            "Ajuste de etiquetas aleatorias en MNIST-1D: error de entrenamiento "
            "frente a la época para 1-4 capas ocultas."
        ),
    ),
    _f(
        "depth-trainability",
        "trainability",
        "UDL: training deep nets (DL: speeds)",
        "Plain, residual, batch- and layer-normalised ReLU MLPs of depth 2-50 on MNIST-1D: final "
        "loss, epochs to fit, speeds at initialisation; the residual stream's variance.",
        slide_es="UDL: entrenar redes profundas (DL: velocidades)",
        description_es=(
            "MLP ReLU simples, residuales y con normalización por lotes y por capa, "
            "de profundidad 2-50, en MNIST-1D: pérdida final, épocas hasta ajustar, velocidades en "
            "la inicialización; la varianza del flujo residual."
        ),
    ),
    # neurons, perceptron and backprop (MLP, FF, DL)
    _f(
        "logic-gates",
        "perceptron",
        "MLP: the perceptron",
        "The perceptron rule learns AND, OR, NOR and NOT (decision lines); XOR never reaches zero errors.",
        slide_es="MLP: Algoritmo de aprendizaje: perceptrón",
        description_es=(
            "La regla del perceptrón aprende AND, OR, NOR y NOT (rectas de "
            "decisión); con XOR nunca llega a cero errores."
        ),
    ),
    _f(
        "perceptron-training",
        "perceptron",
        "MLP: perceptron training",
        "Errors per epoch of the perceptron rule for each gate, XOR included.",
        slide_es="MLP: entrenamiento del perceptrón",
        description_es=(
            "Errores por época de la regla del perceptrón para cada compuerta, XOR incluida."
        ),
    ),
    _f(
        "xor-mlp",
        "hidden",
        "MLP: XOR with a hidden layer",
        "A 2-2-1 net solving XOR: decision regions and the hidden space where XOR becomes separable.",
        slide_es="MLP: XOR con perceptrones",
        description_es=(
            "Una red 2-2-1 que resuelve XOR: regiones de decisión y el espacio "
            "oculto donde XOR se vuelve separable."
        ),
    ),
    _f(
        "hidden-space",
        "hidden",
        "MLP / FF: hidden representations",
        "Two-class data that is not linearly separable and its image in the space of two sigmoid units.",
        slide_es="MLP / FF: representaciones ocultas",
        description_es=(
            "Datos de dos clases que no son linealmente separables y su imagen en "
            "el espacio de dos unidades sigmoides."
        ),
    ),
    _f(
        "semeion-2d",
        "hidden",
        "MLP: SEMEION digits",
        "SEMEION digits through a 256-2-10 net: the 2-D hidden code coloured by digit.",
        needs=("semeion",),
        slide_es="MLP: dígitos SEMEION",
        description_es=(
            "Dígitos SEMEION a través de una red 256-2-10: el código oculto 2-D "
            "coloreado por dígito."
        ),
    ),
    _f(
        "linear-hidden-collapse",
        "shallow",
        "FF: linear hidden layers",
        "Hidden layers with linear activation give a linear model: the fit equals the least-squares line.",
        slide_es="FF: capas ocultas lineales",
        description_es=(
            "Las capas ocultas con activación lineal dan un modelo lineal: el "
            "ajuste coincide con la recta de mínimos cuadrados."
        ),
    ),
    _f(
        "softmax",
        "shallow",
        "FF: softmax",
        "Softmax class probabilities on a 2-D three-class problem.",
        slide_es="FF: Softmax",
        description_es="Probabilidades softmax de cada clase en un problema 2-D de tres clases.",
    ),
    _f(
        "activations",
        "activations",
        "NN: activation functions",
        "Sigmoid, tanh, ReLU, leaky ReLU, PReLU, ELU, softplus, GELU and SiLU with their derivatives.",
        slide_es="NN: Funciones de activación",
        description_es=(
            "Sigmoide, tanh, ReLU, ReLU con fuga, PReLU, ELU, softplus, GELU y SiLU "
            "con sus derivadas."
        ),
    ),
    _f(
        "sigmoid-vs-relu",
        "activations",
        "DL: vanishing gradient",
        "sigma and sigma' (at most 1/4) against ReLU, and the product of derivatives across depth.",
        slide_es="DL: Desvanecimiento del gradiente",
        description_es=(
            "sigma y sigma' (como mucho 1/4) frente a ReLU, y el producto de "
            "derivadas a lo largo de la profundidad."
        ),
    ),
    _f(
        "universal-approximation",
        "shallow",
        "FF: universal approximation",
        "A shallow net fitting a 1-D function as hidden units grow; a 2-D classification; a small autoencoder.",
        slide_es="FF: Teorema de aproximación universal",
        description_es=(
            "Una red superficial que ajusta una función 1-D al crecer las unidades "
            "ocultas; una clasificación 2-D; un autoencoder pequeño."
        ),
    ),
    _f(
        "computational-graph",
        "graph",
        "FF: computational graph",
        "The deck's 784-128-256-10 ReLU MLP as net.graph() draws it: parameters, operations and "
        "values forward; deltas and parameter gradients backward from the cost.",
        slide_es="FF: Grafo computacional",
        description_es=(
            "El MLP ReLU 784-128-256-10 de la presentación tal como lo dibuja "
            "net.graph(): parámetros, operaciones y valores hacia delante; deltas y gradientes de "
            "los parámetros hacia atrás desde el coste."
        ),
    ),
    _f(
        "ua-construction",
        "approximation",
        "FF: universal approximation, constructively",
        "Steep sigmoids as steps, two steps as a bump, a sum of bumps approximating f (max error "
        "against the number of bumps) and 2-D towers.",
        slide_es="FF: aproximación universal, de forma constructiva",
        description_es=(
            "Sigmoides empinadas como escalones, dos escalones como un pulso, una "
            "suma de pulsos que aproxima f (error máximo frente al número de pulsos) y torres 2-D."
        ),
    ),
    _f(
        "polynomial-activation",
        "approximation",
        "NN: Leshno et al. 1993",
        "1-H-1 nets on sin(pi x): with z^2 or z^3 the error plateaus at the best polynomial of "
        "that degree, with ReLU or sigmoid it keeps falling as H grows.",
        slide_es="NN: Leshno et al. 1993",
        description_es=(
            "Redes 1-H-1 sobre sin(pi x): con z^2 o z^3 el error se estanca en el "
            "mejor polinomio de ese grado; con ReLU o sigmoide sigue bajando al crecer H."
        ),
    ),
    _f(
        "width-vs-dimension",
        "approximation",
        "NN: width and input dimension",
        "Shallow ReLU nets on prod_i sin(pi x_i): the width that reaches 20 % error grows "
        "exponentially with the input dimension d.",
        slide_es="NN: anchura y dimensión de la entrada",
        description_es=(
            "Redes ReLU superficiales sobre prod_i sin(pi x_i): la anchura que "
            "alcanza un 20 % de error crece exponencialmente con la dimensión d de la entrada."
        ),
    ),
    # gradient descent and its noise (MLP, NN)
    _f(
        "lr-sensitivity",
        "descent",
        "MLP / NN: learning rate",
        "Loss against iteration for learning rates that are too small, good, too large and divergent.",
        slide_es="MLP / NN: Sensibilidad a tasa de aprendizaje",
        description_es=(
            "Pérdida frente a la iteración para tasas de aprendizaje demasiado "
            "pequeñas, buenas, demasiado grandes y divergentes."
        ),
    ),
    _f(
        "gd-vs-sgd",
        "descent",
        "NN: GD vs SGD",
        "Trajectories of full-batch GD, SGD (b = 1) and minibatch SGD on a 2-D convex loss.",
        slide_es="NN: GD frente a SGD",
        description_es=(
            "Trayectorias de GD con el lote completo, SGD (b = 1) y SGD por "
            "minilotes sobre una pérdida convexa 2-D."
        ),
    ),
    _f(
        "convex-vs-nonconvex",
        "descent",
        "NN: convexity",
        "The convex loss of a single neuron against a non-convex slice of an MLP's loss.",
        slide_es="NN: convexidad",
        description_es=(
            "La pérdida convexa de una sola neurona frente a un corte no convexo de "
            "la pérdida de un MLP."
        ),
    ),
    _f(
        "saddle-points",
        "landscape",
        "NN: saddle points (Auer et al. 1995)",
        "Hessian spectra at the critical points of a small MLP (minima and saddles with their "
        "index); a single sigmoid neuron whose 2^d local minima multi-start descent finds.",
        slide_es="NN: puntos de silla (Auer et al. 1995)",
        description_es=(
            "Espectros de la hessiana en los puntos críticos de un MLP pequeño "
            "(mínimos y puntos de silla con su índice); una sola neurona sigmoide cuyos 2^d "
            "mínimos locales encuentra el descenso con varios arranques."
        ),
    ),
    _f(
        "noise-ball",
        "descent",
        "NN: SGD noise ball",
        "Monte-Carlo mean of ||W_t - w*||^2 for several alpha, with the exact limit and the slide's bound.",
        slide_es="NN: la bola de ruido de SGD",
        description_es=(
            "Media Monte Carlo de ||W_t - w*||^2 para varios alpha, con el límite "
            "exacto y la cota de la diapositiva."
        ),
    ),
    _f(
        "minibatch-noise",
        "descent",
        "NN: minibatch size",
        "The stationary ||W - w*||^2 against batch size B beside the bound.",
        slide_es="NN: tamaño del minilote",
        description_es=(
            "El ||W - w*||^2 estacionario frente al tamaño del minilote B, junto a la cota."
        ),
    ),
    _f(
        "momentum-bias-correction",
        "descent",
        "NN: momentum",
        "m_t and the corrected m_t / (1 - beta1^t) for a constant gradient; the effective learning rate.",
        slide_es="NN: momento",
        description_es=(
            "m_t y el m_t / (1 - beta1^t) corregido para un gradiente constante; la "
            "tasa de aprendizaje efectiva."
        ),
    ),
    _f(
        "optimizers",
        "descent",
        "NN: optimisers",
        "SGD, momentum, Nesterov, Adagrad, RMSProp and Adam on an ill-conditioned loss and on MNIST-1D.",
        slide_es="NN: optimizadores",
        description_es=(
            "SGD, momento, Nesterov, Adagrad, RMSProp y Adam sobre una pérdida mal "
            "condicionada y sobre MNIST-1D."
        ),
    ),
    _f(
        "lr-decay",
        "descent",
        "NN: learning-rate decay",
        "The four learning-rate schedules of the slides.",
        slide_es="NN: decaimiento de la tasa de aprendizaje",
        description_es="Los cuatro calendarios de tasa de aprendizaje de las diapositivas.",
    ),
    _f(
        "batch-size",
        "practice",
        "NN: batch size in practice",
        "Time per epoch and per forward-backward pass, peak memory of a training step and test "
        "accuracy after a fixed number of epochs against the batch size, MLP on MNIST-1D, CPU.",
        slide_es="NN: el tamaño del lote en la práctica",
        description_es=(
            "Tiempo por época y por pasada hacia delante y hacia atrás, memoria "
            "máxima de un paso de entrenamiento y exactitud en test tras un número fijo de épocas "
            "frente al tamaño del lote, MLP en MNIST-1D, CPU."
        ),
    ),
    _f(
        "dead-relu",
        "training_dynamics",
        "NN 003: ReLU can kill neurons",
        "Fraction of units never active on held-out MNIST-1D signals during SGD at high "
        "learning rates: ReLU against leaky ReLU.",
        slide_es="NN 003: la ReLU puede matar neuronas",
        description_es=(
            "Fracción de unidades nunca activas en señales MNIST-1D reservadas "
            "durante SGD con tasas de aprendizaje altas: ReLU frente a ReLU con fuga."
        ),
    ),
    _f(
        "batch-size-generalization",
        "training_dynamics",
        "MLP 001: Keskar et al. 2017",
        "Test accuracy and sharpness (top Hessian eigenvalue by power iteration) against the "
        "minibatch size, each run trained to the same training loss on MNIST-1D.",
        slide_es="MLP 001: Keskar et al. 2017",
        description_es=(
            "Exactitud en test y agudeza (mayor autovalor de la hessiana por el "
            "método de la potencia) frente al tamaño del minilote, con cada ejecución entrenada "
            "hasta la misma pérdida de entrenamiento en MNIST-1D."
        ),
    ),
    # depth and the vanishing gradient (DL, MLP, NN)
    _f(
        "gradient-speed-bars",
        "depth",
        "DL: speed of learning",
        "Per-layer speed of learning at initialisation for 2, 3 and 4 hidden layers, beside Nielsen's values.",
        needs=("mnist",),
        slide_es="DL: velocidad de aprendizaje",
        description_es=(
            "Velocidad de aprendizaje de cada capa en la inicialización para 2, 3 y "
            "4 capas ocultas, junto a los valores de Nielsen."
        ),
    ),
    _f(
        "speed-of-learning",
        "depth",
        "DL: speed of learning over training",
        "The per-layer speeds during full-batch gradient descent on 1,000 MNIST images.",
        needs=("mnist",),
        slide_es="DL: velocidad de aprendizaje durante el entrenamiento",
        description_es=(
            "Las velocidades de cada capa durante el descenso por gradiente con el "
            "lote completo sobre 1000 imágenes de MNIST."
        ),
    ),
    _f(
        "depth-accuracy",
        "depth",
        "DL: accuracy against depth",
        "MNIST validation accuracy of 1-4 hidden layers of 30 sigmoid units, mean and spread over seeds.",
        needs=("mnist",),
        slow=True,
        slide_es="DL: exactitud frente a profundidad",
        description_es=(
            "Exactitud de validación en MNIST de 1-4 capas ocultas de 30 unidades "
            "sigmoides, media y dispersión sobre semillas."
        ),
    ),
    _f(
        "init-variance",
        "depth",
        "NN: initialisation",
        "E[z^2] forward and gradient variance backward through 50 layers for He, LeCun and Glorot.",
        slide_es="NN: inicialización",
        description_es=(
            "E[z^2] hacia delante y varianza del gradiente hacia atrás a través de "
            "50 capas para He, LeCun y Glorot."
        ),
    ),
    _f(
        "exploding-gradients",
        "landscape",
        "FF / NN / DL: exploding gradients",
        "The variance recursion with v above 2/d, Nielsen's w = 100 chain (x 25 per layer), deck "
        "004's 1-1-1-1 chain against its product of S', and gradient clipping in a training run.",
        slide_es="FF / NN / DL: explosión del gradiente",
        description_es=(
            "La recursión de la varianza con v por encima de 2/d, la cadena w = 100 "
            "de Nielsen (x 25 por capa), la cadena 1-1-1-1 de la presentación 004 frente a su "
            "producto de S', y el recorte del gradiente en un entrenamiento."
        ),
    ),
    _f(
        "layerwise-pretraining",
        "unsupervised",
        "DL: greedy pre-training",
        "A deep sigmoid net from random init vs after stacked-autoencoder and RBM pre-training.",
        needs=("mnist",),
        slow=True,
        slide_es="DL: preentrenamiento voraz",
        description_es=(
            "Una red sigmoide profunda desde inicialización aleatoria frente a tras "
            "el preentrenamiento con autoencoders apilados y con RBM."
        ),
    ),
    _f(
        "rbm",
        "unsupervised",
        "DL: RBM",
        "An RBM trained with CD-k: reconstruction error per epoch and learned filters.",
        needs=("mnist",),
        slide_es="DL: RBM",
        description_es=(
            "Una RBM entrenada con CD-k: error de reconstrucción por época y filtros aprendidos."
        ),
    ),
    # regularisation (NN, DL)
    _f(
        "regularization",
        "regularization",
        "NN: regularisation",
        "L2, inverted dropout, early stopping and noise injection, each against its baseline.",
        slide_es="NN: regularización",
        description_es=(
            "L2, dropout invertido, parada temprana e inyección de ruido, cada una "
            "frente a su referencia."
        ),
    ),
    _f(
        "autoencoder",
        "unsupervised",
        "DL: autoencoders",
        "The 2-D code a 784-128-2 autoencoder learns for MNIST test digits, beside its decoder's "
        "images over a grid of the code plane.",
        slide_es="DL: Autoencoder",
        description_es=(
            "El código 2-D que aprende un autocodificador 784-128-2 para dígitos MNIST "
            "de prueba, junto a las imágenes de su decodificador sobre una rejilla del plano de "
            "códigos."
        ),
    ),
    _f(
        "denoising-autoencoder",
        "unsupervised",
        "DL: autoencoders",
        "A denoising autoencoder on MNIST: test digits x, corrupted x~ and restored g(f(x~)), and "
        "the reconstruction cost per epoch, alone and inside the joint model.",
        slide_es="DL: Autoencoder",
        description_es=(
            "Un autocodificador con ruido en MNIST: dígitos de prueba x, corrompidos x~ "
            "y restaurados g(f(x~)), y el costo de reconstrucción por época, solo y dentro del "
            "modelo conjunto."
        ),
    ),
    _f(
        "autoencoder-uses",
        "unsupervised",
        "DL: autoencoders",
        "The three uses of an autoencoder for classification (features, reconstructions, joint "
        "cost) against a classifier on the pixels: MNIST test accuracy.",
        slide_es="DL: Autoencoder",
        description_es=(
            "Los tres usos de un autocodificador para clasificar (atributos, "
            "reconstrucciones, costo conjunto) frente a un clasificador sobre los píxeles: "
            "exactitud en dígitos MNIST de prueba."
        ),
    ),
    _f(
        "semeion-autoencoder",
        "autoencoding",
        "DL 004: SEMEION autoencoder",
        "A 256-2-256 autoencoder trained on SEMEION without labels: the 2-D code coloured by digit "
        "beside PCA's, and reconstructions.",
        needs=("semeion",),
        slide_es="DL 004: autoencoder de SEMEION",
        description_es=(
            "Un autoencoder 256-2-256 entrenado en SEMEION sin etiquetas: el código "
            "2-D coloreado por dígito junto al de PCA, y reconstrucciones."
        ),
    ),
    _f(
        "pretraining-few-labels",
        "autoencoding",
        "DL 004: pre-training with unlabelled data",
        "Greedy stacked-autoencoder pre-training on unlabelled MNIST, fine-tuned on 100 to 1,000 "
        "labels, against random initialisation with the same supervised steps.",
        needs=("mnist",),
        slide_es="DL 004: preentrenamiento con datos sin etiquetar",
        description_es=(
            "Preentrenamiento voraz con autoencoders apilados sobre MNIST sin "
            "etiquetar, ajustado con 100 a 1000 etiquetas, frente a la inicialización aleatoria "
            "con los mismos pasos supervisados."
        ),
    ),
    _f(
        "augmentation",
        "practice",
        "NN: data augmentation",
        "Test accuracy with and without augmentation (shifts, rotations, elastic distortion of "
        "MNIST digits; shifts and scaling of MNIST-1D signals) on few training examples.",
        needs=("mnist",),
        slide_es="NN: Aumento de datos",
        description_es=(
            "Exactitud en test con y sin aumento (desplazamientos, rotaciones y "
            "distorsión elástica de dígitos MNIST; desplazamientos y escalado de señales MNIST-1D) "
            "con pocos ejemplos de entrenamiento."
        ),
    ),
    _f(
        "bias-variance",
        "regularization",
        "NN: bias and variance",
        "Training and validation error against capacity: the double-descent curve with label noise.",
        needs=("mnist",),
        slide_es="NN: sesgo y varianza",
        description_es=(
            "Error de entrenamiento y de validación frente a la capacidad: la curva "
            "de doble descenso con ruido en las etiquetas."
        ),
    ),
    _f(
        "bias-variance-diagnosis",
        "regularization",
        "NN 003: avoidable bias and generalization gap",
        "An underfitting, an overfitting and a balanced MLP on MNIST: Bayes-proxy, training and "
        "validation error, the avoidable bias and the gap marked, and numbanet.diagnose's advice.",
        needs=("mnist",),
        slide_es="NN 003: sesgo evitable y brecha de generalización",
        description_es=(
            "Un MLP que infraajusta, uno que sobreajusta y uno equilibrado en "
            "MNIST: error de Bayes aproximado, de entrenamiento y de validación, con el sesgo "
            "evitable y la brecha marcados, y el consejo de numbanet.diagnose."
        ),
    ),
    # convolution and recurrence (NN, DL)
    _f(
        "conv-example",
        "convolution",
        "NN: convolution",
        "The slide's 6x6 input with the vertical-edge filter: padding valid, same, full and stride 2.",
        slide_es="NN: convolución",
        description_es=(
            "La entrada 6x6 de la diapositiva con el filtro de bordes verticales: "
            "relleno valid, same, full y paso 2."
        ),
    ),
    _f(
        "pooling",
        "convolution",
        "NN: pooling",
        "Max, average and global pooling on a small example.",
        slide_es="NN: capas de pooling",
        description_es="Pooling máximo, medio y global sobre un ejemplo pequeño.",
    ),
    _f(
        "lenet",
        "convolution",
        "NN / DL: LeNet",
        "The slides' Keras LeNet: summary, MNIST training curve, learned filters and feature maps.",
        needs=("mnist",),
        slide_es="NN / DL: LeNet",
        description_es=(
            "La LeNet en Keras de las diapositivas: resumen, curva de entrenamiento "
            "en MNIST, filtros aprendidos y mapas de características."
        ),
    ),
    _f(
        "translation-invariance",
        "invariance",
        "NN 003 / DL 004: pooling and translation",
        "Accuracy of an MLP and of LeNet on test digits shifted by 0-4 pixels; the relative change "
        "of pixels and of LeNet's maps after each convolution and pooling against the shift.",
        needs=("mnist",),
        slide_es="NN 003 / DL 004: pooling y traslación",
        description_es=(
            "Exactitud de un MLP y de LeNet sobre dígitos de test desplazados 0-4 "
            "píxeles; el cambio relativo de los píxeles y de los mapas de LeNet tras cada "
            "convolución y pooling frente al desplazamiento."
        ),
    ),
    _f(
        "feature-hierarchy",
        "invariance",
        "DL 004: pixel => edge => part => object",
        "A trained LeNet's maps after each convolution for one digit, and the input patches "
        "(3 x 3, 8 x 8) of the test digits that excite each filter most.",
        needs=("mnist",),
        slide_es="DL 004: píxel => borde => parte => objeto",
        description_es=(
            "Los mapas de una LeNet entrenada tras cada convolución para un dígito, "
            "y los parches de entrada (3 x 3, 8 x 8) de los dígitos de test que más excitan cada "
            "filtro."
        ),
    ),
    _f(
        "rnn-lstm",
        "recurrent",
        "NN: recurrent networks",
        "RNN vs LSTM recalling the first symbol after 49 noisy steps, beside the gradient norm "
        "through time at initialisation on that task.",
        slide_es="NN: Redes Recurrentes",
        description_es=(
            "RNN frente a LSTM al recordar el primer símbolo tras 49 pasos ruidosos, "
            "junto a la norma del gradiente a través del tiempo al inicializar en esa tarea."
        ),
    ),
    _f(
        "rnn-orthogonal",
        "recurrent",
        "NN: recurrent networks",
        "An RNN with orthogonal vs random W_hh recalling a symbol after 149 blank steps (several "
        "seeds), beside both RNNs' gradient norm through time on that task.",
        slide_es="NN: Redes Recurrentes",
        description_es=(
            "Una RNN con W_hh ortogonal frente a aleatoria al recordar un símbolo tras "
            "149 pasos vacíos (varias semillas), junto a la norma del gradiente a través del "
            "tiempo de ambas en esa tarea."
        ),
    ),
    _f(
        "birnn-labelling",
        "recurrent",
        "NN: recurrent networks",
        "Labelling every step of an ECG-like signal, causal vs bidirectional RNN: a beat's class "
        "shows only in its second half, so at its onset only the bidirectional one has seen it.",
        slide_es="NN: Redes Recurrentes",
        description_es=(
            "Etiquetar cada paso de una señal tipo ECG, RNN causal frente a "
            "bidireccional: la clase de un latido solo se ve en su segunda mitad, así que en su "
            "inicio solo la bidireccional la ha visto."
        ),
    ),
]

BY_ID = {f.id: f for f in CATALOG}
