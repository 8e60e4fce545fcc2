"""The numbers the lecture slides state, in one place, each with the slide it comes from.

Decks (``../shared/seeds/``, Spanish): **UDL** = 000 (deep networks, after *Understanding Deep
Learning* ch. 4), **MLP** = 001 (perceptron and backprop), **FF** = 002 (feed-forward),
**NN** = 003 (training, optimisers, regularisation, CNN, RNN), **DL** = 004 (vanishing gradient,
pre-training, CNN). A reference reads ``deck, slide title``.

These are *inputs*: the networks the slides define, and the values they print, which
``numbanet.claims`` compares with what numbanet computes and ``numbanet.plots`` draws beside
numbanet's own numbers. Nothing here is computed, and nothing computed is stored here. Where a
slide prints a wrong value (a typo) it is kept as printed: the claims say so.
"""

from __future__ import annotations

# ============================================================================ UDL (deck 000)
#: UDL, "Componer dos redes (shallow)": net1, a 1-3-1 ReLU net. Hidden units (bias theta_k0,
#: slope theta_k1) and output (phi_0, phi_1, phi_2, phi_3).
NET1 = {"hidden": ((0.0, -1.0), (0.0, 1.0), (-0.67, 1.0)), "output": (1.0, -2.0, -3.0, 9.3)}
#: UDL, "Componer dos redes (shallow)": net2, applied to net1's output y.
NET2 = {"hidden": ((-0.6, -1.0), (0.2, 1.0), (-0.5, 1.0)), "output": (0.5, -1.0, -1.5, 2.0)}
#: UDL, "Componer dos redes" and "Analogía del plegado": linear pieces on [-1, 1] of each net
#: and of the compositions (3 x 4 = 12; net1 after net1: 3 x 3 = 9; three stages: 9 x 4 = 36).
COMPOSITION_PIECES = {
    "net1": 3,
    "net2": 4,
    "net2(net1)": 12,
    "net1(net1)": 9,
    "net2(net1(net1))": 36,
}
#: UDL, "Componer dos redes (shallow) en una" (UDL fig. 4.3; the picture is lost, the values are
#: SLIDES.md's): the 1-3-3-1 ReLU net on x in [0, 1) whose second layer clips the first's.
#: Layer 1 rows (bias, slope); layer 2 rows (bias, w1, w2, w3); output (phi'_0, ..., phi'_3).
CLIP_LAYER1 = ((0.3, -1.0), (-1.0, 2.0), (-0.5, 0.65))
CLIP_LAYER2 = ((0.3, 2.0, -1.0, 7.0), (-0.2, 2.0, 1.2, -8.0), (0.3, -2.3, -0.8, 2.0))
CLIP_OUTPUT = (0.0, 0.5, -1.5, 2.2)

#: UDL, "Redes no profundas vs profundas": a shallow net with 1 input, 1 output and D hidden
#: units has at most D + 1 regions and 3D + 1 parameters (formulas, checked for D = 1..20).
SHALLOW_1D = {"regions": "D + 1", "parameters": "3D + 1"}
#: UDL, "Número de regiones lineales por parámetro": K = 5 hidden layers of D = 10 units, 1 input:
#: 471 parameters and "161501" linear regions as printed ((D + 1)^K = 161,051: a typo).
DEEP_1D_EXAMPLE = {"K": 5, "D": 10, "d_in": 1, "parameters": 471, "regions": 161501}
#: UDL, "Número de regiones lineales por parámetro": K = 5 layers of D = 50 units, 10 inputs:
#: 10,801 parameters and "more than 10^40" regions (UDL eq. 4.17 as corrected).
DEEP_10D_EXAMPLE = {"K": 5, "D": 50, "d_in": 10, "parameters": 10801, "regions_more_than": 1e40}
#: UDL, "Número de regiones lineales" (Zaslavsky): maximum regions of a shallow net with D_i
#: inputs and D hidden units: D_i = 2, D = 3 gives 7; D_i = 10, D = 50 gives 13,432,735,556.
ZASLAVSKY_EXAMPLES = {(2, 3): 7, (10, 50): 13432735556}

#: UDL fig. 20.2 (last slide of deck 000): hidden widths of the four random-label nets (40
#: inputs, 10 outputs) and the parameter counts the caption prints (15,139 for four layers is a
#: typo: the net holds 15,319).
RANDOM_LABEL_WIDTHS = ((298,), (100, 100), (75, 75, 75), (63, 63, 63, 63))
RANDOM_LABEL_PARAMETERS = (15208, 15210, 15235, 15139)
#: UDL fig. 20.2's set-up: 4,000 MNIST-1D examples with random labels, full-batch gradient
#: descent, He initialisation, learning rate 0.0025; 200,000 epochs (500,000 for one layer).
RANDOM_LABEL_SETUP = {"n": 4000, "lr": 0.0025, "epochs": 200_000, "epochs_1_layer": 500_000}

# ============================================================================ MLP (deck 001)
#: MLP, "Algoritmo de aprendizaje: perceptrón" and the gates' slides: the rule converges on the
#: linearly separable gates and never on XOR.
PERCEPTRON_CONVERGES = {"AND": True, "NOR": True, "NOT": True, "XOR": False}
#: MLP, "Problemas no lineales": XOR's truth table for (X1, X2) = (0,0), (0,1), (1,0), (1,1);
#: "Múltiples capas": X1 xor X2 = (X1 or X2) and not(X1 and X2), the gates of a two-layer net.
XOR_TRUTH_TABLE = (0, 1, 1, 0)
XOR_FROM_GATES = "(X1 or X2) and not(X1 and X2)"

#: UDL, "Redes no profundas vs profundas - 5) Entrenamiento y generalización": "Entrenar con redes
#: profundas parece ser más fácil hasta 20 capas"; beyond, "se necesitan varios trucos".
EASY_TRAINING_DEPTH = 20

# ============================================================================ DL (deck 004)
#: DL, "Planteamiento": MNIST validation accuracy (%) of 1, 2, 3, 4 hidden layers of 30 sigmoid
#: units (Nielsen, NNDL ch. 5: 30 epochs, minibatch 10, eta 0.1, lambda 5.0; one run each).
DEPTH_ACCURACY = (96.48, 96.90, 96.57, 96.53)
DEPTH_ACCURACY_EPOCHS = 30

#: DL, "Velocidades de aprendizaje en las capas" (values from Nielsen, NNDL ch. 5): speed of
#: learning ||dC/db^l|| of each hidden layer at initialisation, first 1,000 MNIST images.
NIELSEN_SPEEDS = {
    (784, 30, 30, 10): (0.0657, 0.3092),
    (784, 30, 30, 30, 10): (0.0118, 0.0600, 0.2831),
    (784, 30, 30, 30, 30, 10): (0.00298, 0.01708, 0.06954, 0.28514),
}
#: DL, "La primera capa aprende 100 veces más lento que la cuarta" (4 hidden layers).
FIRST_TO_FOURTH_SPEED = 100
#: DL, "Cómo cambia la velocidad de aprendizaje con el número de iteraciones": 500 epochs.
SPEED_OF_LEARNING_EPOCHS = 500

#: DL, "Caso sencillo de la regla de la cadena": the sigmoid's derivative is at most 1/4.
SIGMOID_DERIVATIVE_MAX = 0.25

#: DL, "Se requerirían 256*(100+1) pesos en la capa de entrada, y 100*(26+1) en la capa de
#: salida" (a 16x16 letter classifier, 100 hidden units, 26 letters), as printed.
LETTER_CLASSIFIER = {"input": 256 * (100 + 1), "output": 100 * (26 + 1)}
#: DL, "26 pesos": a feature map with a 5x5 receptive field (one input channel).
FEATURE_MAP_5X5_WEIGHTS = 26

# ============================================================================ NN (deck 003)
#: NN, "Convolución": the 6x6 input, the 3x3 vertical-edge filter and the valid output.
CONV_INPUT = (
    (3, 1, 0, 2, 1, 0),
    (2, 0, 1, 3, 2, 1),
    (0, 1, 2, 1, 0, 3),
    (4, 0, 3, 2, 2, 1),
    (1, 1, 0, 1, 0, 1),
    (3, 2, 1, 0, 2, 1),
)
CONV_FILTER = ((1, 0, -1), (1, 0, -1), (1, 0, -1))
CONV_VALID = ((2, -4, 0, 2), (0, -5, 2, 1), (0, -2, 3, -1), (4, 0, 0, 0))

#: NN, the Keras LeNet summary: output shapes (channels last) and parameters of the layers
#: Conv2D, AvgPool, Conv2D, AvgPool, Flatten, Dense, Dense, Dense.
LENET_SHAPES = ((26, 26, 6), (13, 13, 6), (11, 11, 16), (5, 5, 16), (400,), (120,), (84,), (10,))
LENET_PARAMETERS = (60, 0, 880, 0, 0, 48120, 10164, 850)

#: NN, "Momentum (no le creas tanto)": with beta1 = 0.9, m_1 = 0.1 g_1, m_2 = 0.1 g_2 + 0.09 g_1.
MOMENTUM_BETA1 = 0.9
MOMENTUM_M2_WEIGHTS = {"g_2": 0.1, "g_1": 0.09}

#: NN, "Una manera de atenuar una posible explosión es con una inicialización adecuada": the ReLU
#: variance factor d v / 2 per layer: He (v = 2/d) keeps E[z^2] (factor 1), LeCun (v = 1/d)
#: halves it.
INIT_VARIANCE_FACTORS = {"he": 1.0, "lecun": 0.5}

# ---------------------------------------------------------------- the slides' inconsistencies
#: Perceptron deck, "Neurona con ... ECM": ECM = 1/2 sum_i (y_hat - y)^2 (a sum, no 1/N) beside
#: dECM/dw_j = 1/N sum_i (y_hat - y) x_j; the same 1/N beside ECB = -sum_i [...] and ECC.
#: The ratio "slide's gradient / derivative of the slide's cost" the slides imply:
GRADIENT_TO_COST_RATIO = 1.0
#: Perceptron deck, "Ejemplo: retropropagación (3)": the brace under dz^{3}/da^{2} . da^{2}/dW^{1}
#: is labelled W^{1}; the next line writes delta^{3} . W^{2}.
BACKPROP_BRACE_LABEL = "W^{1}"
#: Perceptron deck, "Ejemplo: propagación hacia adelante": "1 neurona de salida con activación
#: lineal" beside a^{3} = phi(z^{3}), y_hat = a^{3}.
BACKPROP_OUTPUT = "linear"
#: Training deck 003, "¿Como chequear si entendí CNN? Ej. Lenet", the first model.summary()
#: (channels last): output shapes and parameters as printed.
LENET_QUIZ = {
    "conv2d_17 output": [10, 10, 6],
    "conv2d_17 params": 186,
    "average_pooling2d_14 output": [5, 5, 6],
    "conv2d_18 output": [10, 10, 16],
    "conv2d_18 params": 464,
    "flatten_7 output": [400],
    "dense_21 params": 48000,
    "dense_22 params": 10320,
    "dense_23 params": 850,
}
#: Training deck 003, "ADAM": "Combinar RMSProp con momentum (ambos con bias correction)" and
#: theta_t = theta_{t-1} - alpha m_t / sqrt(v_hat_t + eps): m_t, not m_hat_t.
ADAM_NUMERATOR = "m_t"
#: Vanishing-gradient deck 004: "LeNet5, con 187000 conexiones pero sólo 14000 pesos diferentes".
LENET5_SLIDE = {"connections": 187000, "distinct weights": 14000}
#: LeCun, Bottou, Bengio and Haffner 1998, section II.B: "340,908 connections, but only 60,000
#: trainable free parameters".
LENET5_PAPER = {"connections": 340908, "distinct weights": 60000}
