"""The slides' experiments: one module per lecture deck, used by both ``numbanet.plots`` (which
draws their results) and ``numbanet.claims`` (which compares them with the slides' numbers).

An experiment builds networks with numbanet's engine, loads the data it needs, trains and
measures, and returns plain data (dicts of NumPy arrays and numbers; with the trained model where a
figure evaluates it further, e.g. over a grid of inputs). The library itself
(``numbanet.nn``, ``numbanet.unsupervised``, ``numbanet.theory``) never loads data: its models and
functions take arrays; the experiments are where data meet them.

=================  =====  ====================================================================
module             deck   what it runs
=================  =====  ====================================================================
``udl``            000    Understanding Deep Learning ch. 4: the composed 1-3-1 nets, region
                          counts of random and trained nets, wide vs deep, random labels
``backprop``       001    the perceptron on the logic gates, 2-2-1 sigmoid nets (XOR, hidden
                          space), SEMEION through two hidden units, gradient descent's step size
``feedforward``    002    linear hidden layers, softmax regression, universal approximation,
                          space folding (Montufar et al. 2014)
``training``       003    optimisers and their noise, regularisation, double descent, LeNet,
                          recurrent networks
``vanishing``      004    Nielsen's speeds of learning and depth sweep, sigmoid vs ReLU
                          gradients, greedy pre-training, RBMs and autoencoders
``trainability``   000    "easier up to 20 layers": plain, residual, batch- and layer-
                   (004)  normalised ReLU MLPs of depth 2-50 on MNIST-1D, with the speeds of
                          learning at initialisation
``practice``       003    inputs of different lengths through global pooling, data
                          augmentation, time, memory and accuracy against the batch size
``approximation``  000    depth efficiency on the k-fold sawtooth, universal approximation by
                   002    steps, bumps and towers, polynomial activations (Leshno), the width
                   (003)  a shallow net needs against the input dimension
``landscape``      003    critical points and Hessian spectra of a small MLP, Auer's single
                   (002,  neuron with 2^d minima, exploding gradients (variance recursion,
                   004)   Nielsen's w = 100 chain, deck 004's chain rule, gradient clipping)
``diagnosis``      003    "¿Sesgo o varianza?": an underfitting, an overfitting and a balanced
                          MLP on MNIST diagnosed with ``numbanet.diagnose``
=================  =====  ====================================================================

Modules are imported on use (``from numbanet.experiments import udl``); importing this package
imports nothing heavy.
"""
