"""The book's own interface: Nielsen's ``network``, ``network2`` and ``mnist_loader``, in Python 3.

Michael Nielsen's *Neural Networks and Deep Learning* (decks 001 and 004 follow it) ships its
code for Python 2 only. These modules accept the book's calls unchanged, so its chapter 1-3
snippets run as printed::

    from numbanet.compat.nielsen import mnist_loader, network
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network.Network([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)

Behind the book's lists of column vectors sits a numbanet ``Sequential`` (``net.model``) of
``Dense`` and ``Sigmoid`` layers in float64, trained by numbanet's kernels (on the CPU backend, a
whole epoch's minibatches in one compiled call). From the same initial weights and minibatch
order the weights, biases, printed accuracies and monitored costs are the book's to float
precision (the only difference is the order of floating-point sums). Like the book, a network
draws its initial weights from NumPy's global generator (``np.random.randn``) and ``SGD``
shuffles the training list in place with Python's ``random.shuffle``, so ``np.random.seed`` and
``random.seed`` reproduce a run of the book's own code; pass ``seed=`` for private generators
that leave the global ones alone.

``mnist_loader`` builds the book's tuples from numbanet's verified MNIST files: it never reads
the book's ``mnist.pkl.gz``, which is a pickle (numbanet never unpickles). The split is the
book's (the first 50,000 training images, then 10,000 for validation, the 10,000 test images);
pixels are ``k / 255`` where the pickle stores ``k / 256``.
"""

from . import mnist_loader, network, network2

__all__ = ["mnist_loader", "network", "network2"]
