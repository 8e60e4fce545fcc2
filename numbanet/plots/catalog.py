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

    @property
    def func_name(self):
        return self.id.replace("-", "_")


def _f(id, module, slide, description, needs=(), slow=False):
    return FigureInfo(id, module, slide, description, tuple(needs), slow)


CATALOG = [
    # depth, composition and linear regions (UDL, FF)
    _f(
        "compose-1d",
        "composition",
        "UDL: composing networks",
        "Two 1-3-1 ReLU nets and their composition on [-1, 1]: 3, 4 and 12 linear pieces, counted exactly.",
    ),
    _f(
        "folding",
        "composition",
        "UDL: folding analogy",
        "net1 folds [-1, 1] onto itself; net1(net1(x)) has 9 pieces and net2(net1(net1(x))) 36.",
    ),
    _f(
        "compose-vs-shallow",
        "composition",
        "UDL: deep vs shallow",
        "The 12-piece composition beside the best a shallow 6-unit net can do (at most 7 pieces).",
    ),
    _f(
        "compose-2d",
        "composition",
        "UDL: composition in 2-D",
        "A 2-input shallow net feeding net2: output maps with the exact linear-region boundaries.",
    ),
    _f(
        "deep-as-clipping",
        "composition",
        "UDL: deep nets as clipping",
        "A 1-3-3-1 ReLU net on [0, 1): layer-2 pre-activations, clipped, weighted, then the output.",
    ),
    _f(
        "depth-efficiency",
        "approximation",
        "UDL: depth efficiency",
        "The k-fold sawtooth: exact with 2k units in k layers; one layer needs 2^k (exact) and at "
        "least 2^(k-1) for any error below 1/2; least-squares fits, pieces counted exactly.",
    ),
    _f(
        "regions-per-parameter",
        "regions",
        "UDL: regions vs parameters",
        "Maximum number of linear regions against parameters, shallow vs deep, for 1 and 10 inputs.",
    ),
    _f(
        "regions-depth-width",
        "regions",
        "UDL / FF: depth vs width",
        "Exact region counts of random and trained ReLU nets against depth and width, beside the bounds.",
    ),
    _f(
        "space-folding-2d",
        "regions",
        "FF: Montufar et al. 2014",
        "The exact partition of a 2-D square by a deep ReLU net, regions coloured: symmetric folds.",
    ),
    _f(
        "wide-vs-deep",
        "capacity",
        "UDL / DL: wide vs deep",
        "Test accuracy against parameter count for shallow and deep MLPs on MNIST-1D, and for "
        "Conv1D nets of 3 and 11 layers at matched parameters (Goodfellow et al.'s 11 vs. 3).",
    ),
    _f(
        "mnist1d-random-labels",
        "capacity",
        "UDL fig. 20.2",
        "Fitting random labels on MNIST-1D: training error against epoch for 1-4 hidden layers.",
        slow=True,
    ),
    _f(
        "depth-trainability",
        "trainability",
        "UDL: training deep nets (DL: speeds)",
        "Plain, residual, batch- and layer-normalised ReLU MLPs of depth 2-50 on MNIST-1D: final "
        "loss, epochs to fit, speeds at initialisation; the residual stream's variance.",
    ),
    # neurons, perceptron and backprop (MLP, FF, DL)
    _f(
        "logic-gates",
        "perceptron",
        "MLP: the perceptron",
        "The perceptron rule learns AND, OR, NOR and NOT (decision lines); XOR never reaches zero errors.",
    ),
    _f(
        "perceptron-training",
        "perceptron",
        "MLP: perceptron training",
        "Errors per epoch of the perceptron rule for each gate, XOR included.",
    ),
    _f(
        "xor-mlp",
        "hidden",
        "MLP: XOR with a hidden layer",
        "A 2-2-1 net solving XOR: decision regions and the hidden space where XOR becomes separable.",
    ),
    _f(
        "hidden-space",
        "hidden",
        "MLP / FF: hidden representations",
        "Two-class data that is not linearly separable and its image in the space of two sigmoid units.",
    ),
    _f(
        "semeion-2d",
        "hidden",
        "MLP: SEMEION digits",
        "SEMEION digits through a 256-2-10 net: the 2-D hidden code coloured by digit.",
        needs=("semeion",),
    ),
    _f(
        "linear-hidden-collapse",
        "shallow",
        "FF: linear hidden layers",
        "Hidden layers with linear activation give a linear model: the fit equals the least-squares line.",
    ),
    _f(
        "softmax",
        "shallow",
        "FF: softmax",
        "Softmax class probabilities on a 2-D three-class problem.",
    ),
    _f(
        "activations",
        "activations",
        "NN: activation functions",
        "Sigmoid, tanh, ReLU, leaky ReLU, PReLU, ELU, softplus, GELU and SiLU with their derivatives.",
    ),
    _f(
        "sigmoid-vs-relu",
        "activations",
        "DL: vanishing gradient",
        "sigma and sigma' (at most 1/4) against ReLU, and the product of derivatives across depth.",
    ),
    _f(
        "universal-approximation",
        "shallow",
        "FF: universal approximation",
        "A shallow net fitting a 1-D function as hidden units grow; a 2-D classification; a small autoencoder.",
    ),
    _f(
        "computational-graph",
        "graph",
        "FF: computational graph",
        "The deck's 784-128-256-10 ReLU MLP as net.graph() draws it: parameters, operations and "
        "values forward; deltas and parameter gradients backward from the cost.",
    ),
    _f(
        "ua-construction",
        "approximation",
        "FF: universal approximation, constructively",
        "Steep sigmoids as steps, two steps as a bump, a sum of bumps approximating f (max error "
        "against the number of bumps) and 2-D towers.",
    ),
    _f(
        "polynomial-activation",
        "approximation",
        "NN: Leshno et al. 1993",
        "1-H-1 nets on sin(pi x): with z^2 or z^3 the error plateaus at the best polynomial of "
        "that degree, with ReLU or sigmoid it keeps falling as H grows.",
    ),
    _f(
        "width-vs-dimension",
        "approximation",
        "NN: width and input dimension",
        "Shallow ReLU nets on prod_i sin(pi x_i): the width that reaches 20 % error grows "
        "exponentially with the input dimension d.",
    ),
    # gradient descent and its noise (MLP, NN)
    _f(
        "lr-sensitivity",
        "descent",
        "MLP / NN: learning rate",
        "Loss against iteration for learning rates that are too small, good, too large and divergent.",
    ),
    _f(
        "gd-vs-sgd",
        "descent",
        "NN: GD vs SGD",
        "Trajectories of full-batch GD, SGD (b = 1) and minibatch SGD on a 2-D convex loss.",
    ),
    _f(
        "convex-vs-nonconvex",
        "descent",
        "NN: convexity",
        "The convex loss of a single neuron against a non-convex slice of an MLP's loss.",
    ),
    _f(
        "saddle-points",
        "landscape",
        "NN: saddle points (Auer et al. 1995)",
        "Hessian spectra at the critical points of a small MLP (minima and saddles with their "
        "index); a single sigmoid neuron whose 2^d local minima multi-start descent finds.",
    ),
    _f(
        "noise-ball",
        "descent",
        "NN: SGD noise ball",
        "Monte-Carlo mean of ||W_t - w*||^2 for several alpha, with the exact limit and the slide's bound.",
    ),
    _f(
        "minibatch-noise",
        "descent",
        "NN: minibatch size",
        "The stationary ||W - w*||^2 against batch size B beside the bound.",
    ),
    _f(
        "momentum-bias-correction",
        "descent",
        "NN: momentum",
        "m_t and the corrected m_t / (1 - beta1^t) for a constant gradient; the effective learning rate.",
    ),
    _f(
        "optimizers",
        "descent",
        "NN: optimisers",
        "SGD, momentum, Nesterov, Adagrad, RMSProp and Adam on an ill-conditioned loss and on MNIST-1D.",
    ),
    _f(
        "lr-decay",
        "descent",
        "NN: learning-rate decay",
        "The four learning-rate schedules of the slides.",
    ),
    _f(
        "batch-size",
        "practice",
        "NN: batch size in practice",
        "Time per epoch and per forward-backward pass, peak memory of a training step and test "
        "accuracy after a fixed number of epochs against the batch size, MLP on MNIST-1D, CPU.",
    ),
    _f(
        "dead-relu",
        "training_dynamics",
        "NN 003: ReLU can kill neurons",
        "Fraction of units never active on held-out MNIST-1D signals during SGD at high "
        "learning rates: ReLU against leaky ReLU.",
    ),
    _f(
        "batch-size-generalization",
        "training_dynamics",
        "MLP 001: Keskar et al. 2017",
        "Test accuracy and sharpness (top Hessian eigenvalue by power iteration) against the "
        "minibatch size, each run trained to the same training loss on MNIST-1D.",
    ),
    # depth and the vanishing gradient (DL, MLP, NN)
    _f(
        "gradient-speed-bars",
        "depth",
        "DL: speed of learning",
        "Per-layer speed of learning at initialisation for 2, 3 and 4 hidden layers, beside Nielsen's values.",
        needs=("mnist",),
    ),
    _f(
        "speed-of-learning",
        "depth",
        "DL: speed of learning over training",
        "The per-layer speeds during full-batch gradient descent on 1,000 MNIST images.",
        needs=("mnist",),
    ),
    _f(
        "depth-accuracy",
        "depth",
        "DL: accuracy against depth",
        "MNIST validation accuracy of 1-4 hidden layers of 30 sigmoid units, mean and spread over seeds.",
        needs=("mnist",),
        slow=True,
    ),
    _f(
        "init-variance",
        "depth",
        "NN: initialisation",
        "E[z^2] forward and gradient variance backward through 50 layers for He, LeCun and Glorot.",
    ),
    _f(
        "exploding-gradients",
        "landscape",
        "FF / NN / DL: exploding gradients",
        "The variance recursion with v above 2/d, Nielsen's w = 100 chain (x 25 per layer), deck "
        "004's 1-1-1-1 chain against its product of S', and gradient clipping in a training run.",
    ),
    _f(
        "layerwise-pretraining",
        "unsupervised",
        "DL: greedy pre-training",
        "A deep sigmoid net from random init vs after stacked-autoencoder and RBM pre-training.",
        needs=("mnist",),
        slow=True,
    ),
    _f(
        "rbm",
        "unsupervised",
        "DL: RBM",
        "An RBM trained with CD-k: reconstruction error per epoch and learned filters.",
        needs=("mnist",),
    ),
    # regularisation (NN, DL)
    _f(
        "regularization",
        "regularization",
        "NN: regularisation",
        "L2, inverted dropout, early stopping and noise injection, each against its baseline.",
    ),
    _f(
        "autoencoder",
        "unsupervised",
        "DL: autoencoders",
        "A 2-D autoencoder code of digits; the three ways to use it for classification compared.",
    ),
    _f(
        "semeion-autoencoder",
        "autoencoding",
        "DL 004: SEMEION autoencoder",
        "A 256-2-256 autoencoder trained on SEMEION without labels: the 2-D code coloured by digit "
        "beside PCA's, and reconstructions.",
        needs=("semeion",),
    ),
    _f(
        "pretraining-few-labels",
        "autoencoding",
        "DL 004: pre-training with unlabelled data",
        "Greedy stacked-autoencoder pre-training on unlabelled MNIST, fine-tuned on 100 to 1,000 "
        "labels, against random initialisation with the same supervised steps.",
        needs=("mnist",),
    ),
    _f(
        "augmentation",
        "practice",
        "NN: data augmentation",
        "Test accuracy with and without augmentation (shifts, rotations, elastic distortion of "
        "MNIST digits; shifts and scaling of MNIST-1D signals) on few training examples.",
        needs=("mnist",),
    ),
    _f(
        "bias-variance",
        "regularization",
        "NN: bias and variance",
        "Training and validation error against capacity: the double-descent curve with label noise.",
        needs=("mnist",),
    ),
    _f(
        "bias-variance-diagnosis",
        "regularization",
        "NN 003: avoidable bias and generalization gap",
        "An underfitting, an overfitting and a balanced MLP on MNIST: Bayes-proxy, training and "
        "validation error, the avoidable bias and the gap marked, and numbanet.diagnose's advice.",
        needs=("mnist",),
    ),
    # convolution and recurrence (NN, DL)
    _f(
        "conv-example",
        "convolution",
        "NN: convolution",
        "The slide's 6x6 input with the vertical-edge filter: padding valid, same, full and stride 2.",
    ),
    _f(
        "pooling",
        "convolution",
        "NN: pooling",
        "Max, average and global pooling on a small example.",
    ),
    _f(
        "lenet",
        "convolution",
        "NN / DL: LeNet",
        "The slides' Keras LeNet: summary, MNIST training curve, learned filters and feature maps.",
        needs=("mnist",),
    ),
    _f(
        "translation-invariance",
        "invariance",
        "NN 003 / DL 004: pooling and translation",
        "Accuracy of an MLP and of LeNet on test digits shifted by 0-4 pixels; the relative change "
        "of pixels and of LeNet's maps after each convolution and pooling against the shift.",
        needs=("mnist",),
    ),
    _f(
        "feature-hierarchy",
        "invariance",
        "DL 004: pixel => edge => part => object",
        "A trained LeNet's maps after each convolution for one digit, and the input patches "
        "(3 x 3, 8 x 8) of the test digits that excite each filter most.",
        needs=("mnist",),
    ),
    _f(
        "rnn-lstm",
        "recurrent",
        "NN: recurrent networks",
        "RNN vs LSTM on a long dependency, gradient norm through time, orthogonal init, a bidirectional tagger.",
    ),
]

BY_ID = {f.id: f for f in CATALOG}
